/*
 * What the two C reference programs share (tlsbench.c: the caller-buffer BIO; membio.c: OpenSSL's memory BIO): the
 * scenarios, the SSL_CTX settings (the calls OpenSslTls's ProfileContextBuilder makes for the same profile settings),
 * the clock and the argument parsing, so both do exactly the same TLS work and differ only in how bytes move.
 * Header-only: each program is one translation unit.
 */
#ifndef OPENSSLTLS_BENCH_COMMON_H
#define OPENSSLTLS_BENCH_COMMON_H

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RECORD_PLAINTEXT 16384
#define MAX_SAMPLES 64

#ifndef BENCH_PROGRAM
#error "define BENCH_PROGRAM (the program's name for messages) before including bench_common.h"
#endif

/* Prints the message and OpenSSL's error queue, then exits. */
static inline void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs(BENCH_PROGRAM ": ", stderr);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* ---------------------------------------------------------------- contexts (same calls as SslContextBuilder) */

typedef struct {
    int server;
    int version;               /* TLS1_2_VERSION, TLS1_3_VERSION, or 0 for "1.2 or newer" */
    const char *certificate;   /* server only */
    const char *private_key;   /* server only */
    const char *ca_list;       /* client only: verify the server against it */
    const char *cipher_suites; /* TLS 1.3 suites, or NULL */
    const char *groups;        /* key exchange groups (SSL_CTX_set1_groups_list), or NULL for OpenSSL's default */
    int session_cache;         /* server: SSL_SESS_CACHE_SERVER and tickets; else no resumption at all */
    int release_buffers;       /* 1 set SSL_MODE_RELEASE_BUFFERS, 0 clear it */
    int no_ticket;             /* client: SSL_OP_NO_TICKET, to resume TLS 1.2 by session id */
} ctx_settings_t;

static inline SSL_CTX *make_ctx(const ctx_settings_t *settings)
{
    SSL_CTX *ctx = SSL_CTX_new(settings->server ? TLS_server_method() : TLS_client_method());
    if (ctx == NULL) {
        die("SSL_CTX_new");
    }
    int min = settings->version ? settings->version : TLS1_2_VERSION;
    if (!SSL_CTX_set_min_proto_version(ctx, min) || !SSL_CTX_set_max_proto_version(ctx, settings->version)) {
        die("setting the protocol range");
    }
    if (settings->certificate && SSL_CTX_use_certificate_chain_file(ctx, settings->certificate) != 1) {
        die("loading %s", settings->certificate);
    }
    if (settings->ca_list) {
        if (SSL_CTX_load_verify_locations(ctx, settings->ca_list, NULL) != 1) {
            die("loading %s", settings->ca_list);
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(settings->ca_list);
        if (names == NULL) {
            die("reading CA names from %s", settings->ca_list);
        }
        SSL_CTX_set_client_CA_list(ctx, names);
    }
    if (settings->cipher_suites && SSL_CTX_set_ciphersuites(ctx, settings->cipher_suites) != 1) {
        die("cipher suites %s", settings->cipher_suites);
    }
    /* OpenSslTls sets the groups right after the ciphers (ProfileContextBuilder.SetGroups). */
    if (settings->groups && SSL_CTX_set1_groups_list(ctx, settings->groups) != 1) {
        die("groups %s", settings->groups);
    }
    SSL_CTX_set_verify(ctx, settings->ca_list ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_verify_depth(ctx, 9);
    SSL_CTX_set_options(ctx, SSL_OP_ALL | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE
                                 | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"openssltls", 10) != 1) {
        die("session id context");
    }
    if (!settings->server) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        if (settings->no_ticket) {
            SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        }
    } else if (settings->session_cache) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(ctx, 0);
    }
    if (settings->private_key) {
        if (SSL_CTX_use_PrivateKey_file(ctx, settings->private_key, SSL_FILETYPE_PEM) != 1
            || SSL_CTX_check_private_key(ctx) != 1) {
            die("loading %s", settings->private_key);
        }
    }
    if (settings->release_buffers) {
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    } else {
        SSL_CTX_clear_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    }
    SSL_CTX_set_read_ahead(ctx, 0);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
    return ctx;
}

/* ---------------------------------------------------------------- scenarios */

typedef enum { KIND_HANDSHAKE, KIND_RESUME, KIND_RECORD, KIND_IDLE } kind_t;

typedef struct {
    const char *name;
    kind_t kind;
    int version;
    int rsa;
    int no_ticket;       /* resume: client refuses tickets, so TLS 1.2 resumes by session id */
    const char *suites;  /* record: TLS 1.3 cipher suite */
    size_t size;         /* record: plaintext bytes per message */
    int release_buffers; /* idle */
    const char *group;   /* the one key exchange group both sides allow, or NULL for OpenSSL's default list */
} scenario_t;

static const scenario_t SCENARIOS[] = {
    { "handshake-tls13-p256", KIND_HANDSHAKE, TLS1_3_VERSION, 0, 0, NULL, 0, 1, NULL },
    { "handshake-tls13-rsa2048", KIND_HANDSHAKE, TLS1_3_VERSION, 1, 0, NULL, 0, 1, NULL },
    { "handshake-tls12-p256", KIND_HANDSHAKE, TLS1_2_VERSION, 0, 0, NULL, 0, 1, NULL },
    { "handshake-tls12-rsa2048", KIND_HANDSHAKE, TLS1_2_VERSION, 1, 0, NULL, 0, 1, NULL },
    { "resume-tls13-ticket", KIND_RESUME, TLS1_3_VERSION, 0, 0, NULL, 0, 1, NULL },
    { "resume-tls12-sessionid", KIND_RESUME, TLS1_2_VERSION, 0, 1, NULL, 0, 1, NULL },
    { "resume-tls12-ticket", KIND_RESUME, TLS1_2_VERSION, 0, 0, NULL, 0, 1, NULL },
    { "record-aes128gcm-512", KIND_RECORD, TLS1_3_VERSION, 0, 0, "TLS_AES_128_GCM_SHA256", 512, 1, NULL },
    { "record-aes128gcm-1400", KIND_RECORD, TLS1_3_VERSION, 0, 0, "TLS_AES_128_GCM_SHA256", 1400, 1, NULL },
    { "record-aes128gcm-16384", KIND_RECORD, TLS1_3_VERSION, 0, 0, "TLS_AES_128_GCM_SHA256", 16384, 1, NULL },
    { "record-chacha20-512", KIND_RECORD, TLS1_3_VERSION, 0, 0, "TLS_CHACHA20_POLY1305_SHA256", 512, 1, NULL },
    { "record-chacha20-1400", KIND_RECORD, TLS1_3_VERSION, 0, 0, "TLS_CHACHA20_POLY1305_SHA256", 1400, 1, NULL },
    { "record-chacha20-16384", KIND_RECORD, TLS1_3_VERSION, 0, 0, "TLS_CHACHA20_POLY1305_SHA256", 16384, 1, NULL },
    { "idle-release1", KIND_IDLE, TLS1_3_VERSION, 0, 0, NULL, 0, 1, NULL },
    { "idle-release0", KIND_IDLE, TLS1_3_VERSION, 0, 0, NULL, 0, 0, NULL },
    /* One group pinned on both sides (the client's only key share, so no HelloRetryRequest): the classic X25519 and
     * the post-quantum hybrid X25519MLKEM768 of OpenSSL 3.5+, which 3.5 offers first by default. */
    { "handshake-tls13-p256-x25519", KIND_HANDSHAKE, TLS1_3_VERSION, 0, 0, NULL, 0, 1, "X25519" },
    { "handshake-tls13-p256-x25519mlkem768", KIND_HANDSHAKE, TLS1_3_VERSION, 0, 0, NULL, 0, 1, "X25519MLKEM768" },
    { "resume-tls13-ticket-x25519", KIND_RESUME, TLS1_3_VERSION, 0, 0, NULL, 0, 1, "X25519" },
    { "resume-tls13-ticket-x25519mlkem768", KIND_RESUME, TLS1_3_VERSION, 0, 0, NULL, 0, 1, "X25519MLKEM768" },
};

/*
 * One side's role, as a TlsConnection takes it: the server accepts; the client connects with SNI "localhost" and, for
 * a resumption, the session to offer (SSL_set_session takes its own reference).
 */
static inline void set_role(SSL *ssl, int server, SSL_SESSION *resume)
{
    if (server) {
        SSL_set_accept_state(ssl);
        return;
    }
    SSL_set_connect_state(ssl);
    if (SSL_set_tlsext_host_name(ssl, "localhost") != 1) {
        die("SNI");
    }
    if (resume != NULL && SSL_set_session(ssl, resume) != 1) {
        die("SSL_set_session");
    }
}

static inline int group_known(const char *group)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        die("SSL_CTX_new");
    }
    int known = SSL_CTX_set1_groups_list(ctx, group) == 1;
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return known;
}

static inline double clock_seconds(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline int parse_int(const char *text, const char *option)
{
    char *end;
    long value = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || value <= 0 || value > 1000000) {
        die("%s: not a positive number: %s", option, text);
    }
    return (int)value;
}

/* The scenario's two contexts: the server with the scenario's certificate, the client verifying it against root.pem. */
static inline void scenario_contexts(const scenario_t *s, const char *pki, SSL_CTX **server_ctx, SSL_CTX **client_ctx)
{
    char certificate[4096], private_key[4096], root[4096];
    snprintf(certificate, sizeof(certificate), "%s/%s", pki, s->rsa ? "rsa.pem" : "ec.pem");
    snprintf(private_key, sizeof(private_key), "%s/%s", pki, s->rsa ? "rsa.key" : "ec.key");
    snprintf(root, sizeof(root), "%s/root.pem", pki);
    ctx_settings_t server = {
        .server = 1,
        .version = s->version,
        .certificate = certificate,
        .private_key = private_key,
        .cipher_suites = s->suites,
        .groups = s->group,
        .session_cache = s->kind == KIND_RESUME,
        .release_buffers = s->release_buffers,
    };
    ctx_settings_t client = {
        .server = 0,
        .version = s->version,
        .ca_list = root,
        .cipher_suites = s->suites,
        .groups = s->group,
        .release_buffers = 1,
        .no_ticket = s->no_ticket,
    };
    *server_ctx = make_ctx(&server);
    *client_ctx = make_ctx(&client);
}

static inline const scenario_t *scenario_find(const char *name)
{
    for (size_t j = 0; j < sizeof(SCENARIOS) / sizeof(SCENARIOS[0]); j++) {
        if (strcmp(SCENARIOS[j].name, name) == 0) {
            return &SCENARIOS[j];
        }
    }
    return NULL;
}

#endif
