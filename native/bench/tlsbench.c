/*
 * tlsbench: the C reference for the OpenSslTls benchmarks, the "physical limit" the C# library is compared with.
 *
 * It drives the same libssl the same way OpenSslTls does: one SSL per side, each over a custom BIO that reads the
 * peer's ciphertext straight from a caller buffer and appends its own ciphertext to another caller buffer (no memory
 * BIO copies), client and server pumped back to back in one thread. The SSL_CTX settings repeat the calls
 * OpenSslTls's SslContextBuilder makes for the same profile settings, so both do exactly the same TLS work; only the
 * language around libssl differs.
 *
 * Usage: tlsbench --pki DIR [--warmup-ms N] [--sample-ms N] [--samples N] [--connections N] [--idle-thread] [--list]
 *                [SCENARIO...]
 *        tlsbench --pki DIR [--idle-thread] --serve   (sample by sample on request; see serve())
 * --idle-thread starts one thread that only sleeps, so the process is multi-threaded like any .NET process (glibc's
 * malloc then locks its arena on every allocation the thread cache cannot serve); for the analysis in
 * docs/benchmarks.md, never for the reference figures.
 * DIR holds root.pem, ec.pem, ec.key, rsa.pem, rsa.key (the benchmark project creates them with the openssl CLI).
 * Without scenarios every scenario runs. Each prints one line "scenario,value,unit" on stdout; per-sample details go
 * to stderr. Rates are the median of the samples, each counted per second of process CPU time (see run_for); idle
 * scenarios print the VmRSS growth per connection and, as "-heap", the growth of malloc's bytes in use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_RECORD_PLAINTEXT 16384
#define MAX_SAMPLES 64

/* ---------------------------------------------------------------- caller buffers and their BIO */

typedef struct {
    unsigned char *data;
    size_t len;
    size_t cap;
} buf_t;

/* Per-BIO state, like OpenSslTls's BioBuffers: the input being consumed and the output being appended to. */
typedef struct {
    const unsigned char *in;
    size_t in_len;
    size_t in_off;
    buf_t *out;
} bio_state_t;

static BIO_METHOD *g_bio_method;

static void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("tlsbench: ", stderr);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static void buf_reserve(buf_t *b, size_t extra)
{
    if (b->cap - b->len >= extra) {
        return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < extra) {
        cap *= 2;
    }
    unsigned char *data = realloc(b->data, cap);
    if (data == NULL) {
        die("out of memory");
    }
    b->data = data;
    b->cap = cap;
}

static int bio_read_ex(BIO *bio, char *data, size_t length, size_t *read)
{
    BIO_clear_retry_flags(bio);
    bio_state_t *s = BIO_get_data(bio);
    size_t available = s->in == NULL ? 0 : s->in_len - s->in_off;
    if (available == 0) {
        *read = 0;
        BIO_set_retry_read(bio);
        return 0;
    }
    size_t count = available < length ? available : length;
    memcpy(data, s->in + s->in_off, count);
    s->in_off += count;
    *read = count;
    return 1;
}

static int bio_write_ex(BIO *bio, const char *data, size_t length, size_t *written)
{
    BIO_clear_retry_flags(bio);
    bio_state_t *s = BIO_get_data(bio);
    *written = 0;
    if (s->out == NULL) {
        BIO_set_retry_write(bio);
        return 0;
    }
    buf_reserve(s->out, length);
    memcpy(s->out->data + s->out->len, data, length);
    s->out->len += length;
    *written = length;
    return 1;
}

static long bio_ctrl(BIO *bio, int command, long larg, void *parg)
{
    (void)bio;
    (void)larg;
    (void)parg;
    return command == BIO_CTRL_FLUSH || command == BIO_CTRL_DUP ? 1 : 0;
}

static int bio_create(BIO *bio)
{
    (void)bio;
    return 1;
}

static int bio_destroy(BIO *bio)
{
    free(BIO_get_data(bio));
    BIO_set_data(bio, NULL);
    return 1;
}

static BIO_METHOD *bio_method(void)
{
    if (g_bio_method == NULL) {
        g_bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tlsbench-caller-buffers");
        if (g_bio_method == NULL || !BIO_meth_set_read_ex(g_bio_method, bio_read_ex)
            || !BIO_meth_set_write_ex(g_bio_method, bio_write_ex) || !BIO_meth_set_ctrl(g_bio_method, bio_ctrl)
            || !BIO_meth_set_create(g_bio_method, bio_create) || !BIO_meth_set_destroy(g_bio_method, bio_destroy)) {
            die("creating the BIO method");
        }
    }
    return g_bio_method;
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

static SSL_CTX *make_ctx(const ctx_settings_t *settings)
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

/* ---------------------------------------------------------------- one connection, driven like TlsConnection */

typedef struct {
    SSL *ssl;
    bio_state_t *io;
    int established;
} endpoint_t;

static void endpoint_open(endpoint_t *e, SSL_CTX *ctx, int server, SSL_SESSION *resume)
{
    ERR_clear_error();
    e->ssl = SSL_new(ctx);
    BIO *bio = BIO_new(bio_method());
    e->io = calloc(1, sizeof(bio_state_t));
    if (e->ssl == NULL || bio == NULL || e->io == NULL) {
        die("creating a connection");
    }
    BIO_set_data(bio, e->io);
    BIO_set_init(bio, 1);
    SSL_set_bio(e->ssl, bio, bio);
    e->established = 0;
    if (server) {
        SSL_set_accept_state(e->ssl);
    } else {
        SSL_set_connect_state(e->ssl);
        if (SSL_set_tlsext_host_name(e->ssl, "localhost") != 1) {
            die("SNI");
        }
        if (resume != NULL && SSL_set_session(e->ssl, resume) != 1) {
            die("SSL_set_session");
        }
    }
}

/* Like TlsConnection.Dispose of an established connection: a quiet shutdown keeps the session resumable. */
static void endpoint_close(endpoint_t *e)
{
    if (e->established) {
        SSL_set_quiet_shutdown(e->ssl, 1);
        e->io->in = NULL;
        e->io->out = NULL;
        SSL_shutdown(e->ssl);
        ERR_clear_error();
    }
    SSL_free(e->ssl); /* frees the BIO and, through bio_destroy, e->io */
    e->ssl = NULL;
}

static void attach(endpoint_t *e, const unsigned char *in, size_t length, buf_t *out)
{
    e->io->in = in;
    e->io->in_len = length;
    e->io->in_off = 0;
    e->io->out = out;
}

static void detach(endpoint_t *e)
{
    e->io->in = NULL;
    e->io->in_len = 0;
    e->io->in_off = 0;
    e->io->out = NULL;
}

static void fail(endpoint_t *e, const char *operation, int result)
{
    die("%s failed: SSL_get_error %d", operation, SSL_get_error(e->ssl, result));
}

/* Client Start: the ClientHello goes to out. */
static void endpoint_start(endpoint_t *e, buf_t *out)
{
    ERR_clear_error();
    attach(e, NULL, 0, out);
    int result = SSL_do_handshake(e->ssl);
    int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(e->ssl, result);
    detach(e);
    if (error != SSL_ERROR_WANT_READ) {
        fail(e, "starting the handshake", result);
    }
}

/* Receive: advance the handshake, then decrypt every complete record into plain until libssl wants more input. */
static void endpoint_receive(endpoint_t *e, const unsigned char *in, size_t length, buf_t *plain, buf_t *out)
{
    ERR_clear_error();
    attach(e, in, length, out);
    if (!e->established) {
        int result = SSL_do_handshake(e->ssl);
        if (result != 1) {
            int error = SSL_get_error(e->ssl, result);
            detach(e);
            if (error == SSL_ERROR_WANT_READ) {
                return;
            }
            fail(e, "handshake", result);
        }
        e->established = 1;
    }
    for (;;) {
        /* Input consumed and nothing buffered in libssl: another SSL_read_ex could only say "want read" (OpenSslTls
         * skips it the same way). */
        if (e->io->in_off >= e->io->in_len && !SSL_has_pending(e->ssl)) {
            detach(e);
            return;
        }
        buf_reserve(plain, MAX_RECORD_PLAINTEXT);
        size_t read = 0;
        int result = SSL_read_ex(e->ssl, plain->data + plain->len, MAX_RECORD_PLAINTEXT, &read);
        if (result == 1) {
            plain->len += read;
            continue;
        }
        int error = SSL_get_error(e->ssl, result);
        detach(e);
        if (error == SSL_ERROR_WANT_READ) {
            return;
        }
        fail(e, "decrypting", result);
    }
}

/* Send: encrypt all of data into out (records of at most 16384 bytes; partial writes complete per record). */
static void endpoint_send(endpoint_t *e, const unsigned char *data, size_t length, buf_t *out)
{
    ERR_clear_error();
    size_t offset = 0;
    while (offset < length) {
        attach(e, NULL, 0, out);
        size_t written = 0;
        int result = SSL_write_ex(e->ssl, data + offset, length - offset, &written);
        detach(e);
        if (result != 1) {
            fail(e, "encrypting", result);
        }
        offset += written;
    }
}

/* ---------------------------------------------------------------- a client/server pair pumped in memory */

typedef struct {
    endpoint_t client;
    endpoint_t server;
    buf_t to_server;
    buf_t to_client;
    buf_t server_plain;
    buf_t client_plain;
} pair_t;

/* Moves each side's output to the other's input until both are quiet (like TlsPair.Pump, without its copies). */
static void pair_pump(pair_t *p)
{
    for (int round = 0; round < 100 && (p->to_server.len > 0 || p->to_client.len > 0); round++) {
        if (p->to_server.len > 0) {
            endpoint_receive(&p->server, p->to_server.data, p->to_server.len, &p->server_plain, &p->to_client);
            p->to_server.len = 0;
        }
        if (p->to_client.len > 0) {
            endpoint_receive(&p->client, p->to_client.data, p->to_client.len, &p->client_plain, &p->to_server);
            p->to_client.len = 0;
        }
    }
}

static void pair_handshake(pair_t *p, SSL_CTX *server_ctx, SSL_CTX *client_ctx, SSL_SESSION *resume)
{
    endpoint_open(&p->server, server_ctx, 1, NULL);
    endpoint_open(&p->client, client_ctx, 0, resume);
    endpoint_start(&p->client, &p->to_server);
    pair_pump(p);
    if (!p->client.established || !p->server.established) {
        die("the handshake did not complete");
    }
}

static void pair_free_buffers(pair_t *p)
{
    free(p->to_server.data);
    free(p->to_client.data);
    free(p->server_plain.data);
    free(p->client_plain.data);
    memset(p, 0, sizeof(*p));
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

typedef struct {
    const char *pki;
    int warmup_ms;
    int sample_ms;
    int samples;
    int connections;
} options_t;

typedef struct {
    const scenario_t *scenario;
    SSL_CTX *server_ctx;
    SSL_CTX *client_ctx;
    SSL_SESSION *resume;
    pair_t pair;             /* record: the established pair; handshakes: the reused buffers */
    unsigned char *message;
} bench_t;

static char *pki_path(const options_t *o, const char *file)
{
    static char paths[8][4096];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, sizeof(paths[0]), "%s/%s", o->pki, file);
    return path;
}

/* Whether the loaded libssl knows every group of the list (X25519MLKEM768 needs OpenSSL 3.5+): asked at run time. */
static int group_known(const char *group)
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

/* One handshake of the scenario's contexts must negotiate its group, or the row would measure something else. */
static void check_group(bench_t *b, const scenario_t *s)
{
    pair_t pair;
    memset(&pair, 0, sizeof(pair));
    pair_handshake(&pair, b->server_ctx, b->client_ctx, NULL);
    int id = SSL_get_negotiated_group(pair.server.ssl);
    const char *name = id == 0 ? NULL : SSL_group_to_name(pair.server.ssl, id);
    if (name == NULL || strcasecmp(name, s->group) != 0) {
        die("%s: negotiated group %s, expected %s", s->name, name ? name : "none", s->group);
    }
    endpoint_close(&pair.client);
    endpoint_close(&pair.server);
    pair_free_buffers(&pair);
}

static void bench_setup(bench_t *b, const scenario_t *s, const options_t *o)
{
    if (s->group != NULL && !group_known(s->group)) {
        die("%s: the loaded %s knows no group %s", s->name, OpenSSL_version(OPENSSL_VERSION), s->group);
    }
    memset(b, 0, sizeof(*b));
    b->scenario = s;
    ctx_settings_t server = {
        .server = 1,
        .version = s->version,
        .certificate = pki_path(o, s->rsa ? "rsa.pem" : "ec.pem"),
        .private_key = pki_path(o, s->rsa ? "rsa.key" : "ec.key"),
        .cipher_suites = s->suites,
        .groups = s->group,
        .session_cache = s->kind == KIND_RESUME,
        .release_buffers = s->release_buffers,
    };
    ctx_settings_t client = {
        .server = 0,
        .version = s->version,
        .ca_list = pki_path(o, "root.pem"),
        .cipher_suites = s->suites,
        .groups = s->group,
        .release_buffers = 1,
        .no_ticket = s->no_ticket,
    };
    b->server_ctx = make_ctx(&server);
    b->client_ctx = make_ctx(&client);
    if (s->group != NULL) {
        check_group(b, s);
    }

    if (s->kind == KIND_RESUME) {
        pair_handshake(&b->pair, b->server_ctx, b->client_ctx, NULL);
        b->resume = SSL_get1_session(b->pair.client.ssl);
        if (b->resume == NULL || !SSL_SESSION_is_resumable(b->resume)) {
            die("%s: no resumable session after the first handshake", s->name);
        }
        endpoint_close(&b->pair.client);
        endpoint_close(&b->pair.server);
    } else if (s->kind == KIND_RECORD) {
        pair_handshake(&b->pair, b->server_ctx, b->client_ctx, NULL);
        b->message = malloc(s->size);
        for (size_t i = 0; i < s->size; i++) {
            b->message[i] = (unsigned char)('a' + i % 26);
        }
        endpoint_send(&b->pair.client, b->message, s->size, &b->pair.to_server);
        endpoint_receive(&b->pair.server, b->pair.to_server.data, b->pair.to_server.len, &b->pair.server_plain,
                         &b->pair.to_client);
        if (b->pair.server_plain.len != s->size || memcmp(b->pair.server_plain.data, b->message, s->size) != 0) {
            die("%s: the message did not arrive intact", s->name);
        }
        b->pair.to_server.len = 0;
        b->pair.server_plain.len = 0;
    }
}

static void bench_teardown(bench_t *b)
{
    if (b->scenario->kind == KIND_RECORD) {
        endpoint_close(&b->pair.client);
        endpoint_close(&b->pair.server);
    }
    pair_free_buffers(&b->pair);
    SSL_SESSION_free(b->resume);
    SSL_CTX_free(b->server_ctx);
    SSL_CTX_free(b->client_ctx);
    free(b->message);
}

/* One operation of the scenario. */
static void bench_op(bench_t *b)
{
    switch (b->scenario->kind) {
    case KIND_HANDSHAKE:
    case KIND_RESUME:
        pair_handshake(&b->pair, b->server_ctx, b->client_ctx, b->resume);
        if (b->resume != NULL && (!SSL_session_reused(b->pair.client.ssl) || !SSL_session_reused(b->pair.server.ssl))) {
            die("%s: the session was not resumed", b->scenario->name);
        }
        endpoint_close(&b->pair.client);
        endpoint_close(&b->pair.server);
        b->pair.client_plain.len = 0;
        b->pair.server_plain.len = 0;
        break;
    case KIND_RECORD:
        endpoint_send(&b->pair.client, b->message, b->scenario->size, &b->pair.to_server);
        endpoint_receive(&b->pair.server, b->pair.to_server.data, b->pair.to_server.len, &b->pair.server_plain,
                         &b->pair.to_client);
        if (b->pair.server_plain.len != b->scenario->size) {
            die("%s: the server decrypted %zu bytes", b->scenario->name, b->pair.server_plain.len);
        }
        b->pair.to_server.len = 0;
        b->pair.server_plain.len = 0;
        break;
    case KIND_IDLE:
        break;
    }
}

static double clock_seconds(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Runs ops in batches until the process has used ms milliseconds of CPU; returns operations per CPU second. CPU time,
 * not wall time: the machine is shared (2 cores, builds and tests of other work run beside the benchmarks), and a
 * process that is descheduled would otherwise be charged for time it did not run. The C# loop measures the same way.
 */
static double run_for(bench_t *b, int ms, int batch, double *wall_rate)
{
    double start = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    double wall_start = clock_seconds(CLOCK_MONOTONIC);
    double end = start + ms / 1000.0;
    long ops = 0;
    double now;
    do {
        for (int i = 0; i < batch; i++) {
            bench_op(b);
        }
        ops += batch;
        now = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    } while (now < end);
    *wall_rate = (double)ops / (clock_seconds(CLOCK_MONOTONIC) - wall_start);
    return (double)ops / (now - start);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run_rate(const scenario_t *s, const options_t *o)
{
    bench_t b;
    bench_setup(&b, s, o);
    int batch = s->kind == KIND_RECORD ? 64 : 1;
    double wall;
    run_for(&b, o->warmup_ms, batch, &wall);
    double rates[MAX_SAMPLES];
    for (int i = 0; i < o->samples; i++) {
        rates[i] = run_for(&b, o->sample_ms, batch, &wall);
        fprintf(stderr, "# %s C sample %d: %.1f ops per CPU second (%.1f per wall second)\n", s->name, i + 1, rates[i], wall);
    }
    qsort(rates, (size_t)o->samples, sizeof(double), compare_doubles);
    double median = o->samples % 2 ? rates[o->samples / 2] : (rates[o->samples / 2 - 1] + rates[o->samples / 2]) / 2;
    if (s->kind == KIND_RECORD) {
        printf("%s,%.2f,MB/s\n", s->name, median * (double)s->size / 1e6);
    } else {
        printf("%s,%.1f,handshakes/s\n", s->name, median);
    }
    fflush(stdout);
    bench_teardown(&b);
}

static long vm_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        die("cannot open /proc/self/status: %s", strerror(errno));
    }
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) {
            break;
        }
    }
    fclose(f);
    if (kib < 0) {
        die("no VmRSS in /proc/self/status");
    }
    return kib * 1024;
}

static long heap_in_use_bytes(void)
{
    struct mallinfo2 info = mallinfo2();
    return (long)(info.uordblks + info.hblkhd);
}

/*
 * Memory of an idle established server connection: N servers are kept after their handshakes while each client is
 * freed at once (so only one client's memory is ever live). VmRSS is what the process really holds; the malloc
 * figure is the bytes OpenSSL holds in use (mallinfo2), without allocator slack.
 */
static void run_idle(const scenario_t *s, const options_t *o)
{
    bench_t b;
    bench_setup(&b, s, o);
    for (int i = 0; i < 64; i++) {
        pair_handshake(&b.pair, b.server_ctx, b.client_ctx, NULL);
        endpoint_close(&b.pair.client);
        endpoint_close(&b.pair.server);
    }
    int n = o->connections;
    endpoint_t *servers = calloc((size_t)n, sizeof(endpoint_t));
    if (servers == NULL) {
        die("out of memory");
    }
    long rss_before = vm_rss_bytes();
    long heap_before = heap_in_use_bytes();
    for (int i = 0; i < n; i++) {
        pair_handshake(&b.pair, b.server_ctx, b.client_ctx, NULL);
        endpoint_close(&b.pair.client);
        servers[i] = b.pair.server;
    }
    long rss_after = vm_rss_bytes();
    long heap_after = heap_in_use_bytes();
    printf("%s,%.1f,B/conn\n", s->name, (double)(rss_after - rss_before) / n);
    printf("%s-heap,%.1f,B/conn\n", s->name, (double)(heap_after - heap_before) / n);
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        endpoint_close(&servers[i]);
    }
    free(servers);
    bench_teardown(&b);
}

static int parse_int(const char *text, const char *option)
{
    char *end;
    long value = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || value <= 0 || value > 1000000) {
        die("%s: not a positive number: %s", option, text);
    }
    return (int)value;
}

/*
 * --serve: the benchmark project's quick mode drives the harness sample by sample, interleaving C, SslStream and
 * OpenSslTls samples so that all three see the same moments of a shared, busy machine. Commands on stdin, one per
 * line: "setup SCENARIO" (answers "ok"), "run MS" (answers "OPS_PER_CPU_SECOND OPS_PER_WALL_SECOND" after MS
 * milliseconds of CPU time, in batches as run_rate), "teardown" ("ok"), "quit".
 */
static int serve(const options_t *o)
{
    char line[256];
    bench_t b;
    int active = 0;
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "setup ", 6) == 0) {
            const scenario_t *found = NULL;
            for (size_t j = 0; j < sizeof(SCENARIOS) / sizeof(SCENARIOS[0]); j++) {
                if (strcmp(SCENARIOS[j].name, line + 6) == 0) {
                    found = &SCENARIOS[j];
                }
            }
            if (found == NULL || found->kind == KIND_IDLE || active) {
                die("serve: cannot set up '%s'", line + 6);
            }
            bench_setup(&b, found, o);
            active = 1;
            printf("ok\n");
        } else if (strncmp(line, "run ", 4) == 0 && active) {
            double wall;
            double rate = run_for(&b, parse_int(line + 4, "run"), b.scenario->kind == KIND_RECORD ? 64 : 1, &wall);
            printf("%.3f %.3f\n", rate, wall);
        } else if (strcmp(line, "teardown") == 0 && active) {
            bench_teardown(&b);
            active = 0;
            printf("ok\n");
        } else if (strcmp(line, "quit") == 0) {
            break;
        } else {
            die("serve: unknown command '%s'", line);
        }
        fflush(stdout);
    }
    if (active) {
        bench_teardown(&b);
    }
    return 0;
}

static void *sleep_forever(void *unused)
{
    (void)unused;
    for (;;) {
        struct timespec hour = { 3600, 0 };
        nanosleep(&hour, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    options_t o = { NULL, 300, 300, 5, 5000 };
    int serving = 0;
    const char *selected[64];
    int count = 0;
    size_t scenario_count = sizeof(SCENARIOS) / sizeof(SCENARIOS[0]);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(arg, "--pki") == 0 && has_value) {
            o.pki = argv[++i];
        } else if (strcmp(arg, "--warmup-ms") == 0 && has_value) {
            o.warmup_ms = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--sample-ms") == 0 && has_value) {
            o.sample_ms = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--samples") == 0 && has_value) {
            o.samples = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--connections") == 0 && has_value) {
            o.connections = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--serve") == 0) {
            serving = 1;
        } else if (strcmp(arg, "--idle-thread") == 0) {
            pthread_t thread;
            if (pthread_create(&thread, NULL, sleep_forever, NULL) != 0 || pthread_detach(thread) != 0) {
                die("starting the idle thread");
            }
        } else if (strcmp(arg, "--list") == 0) {
            for (size_t j = 0; j < scenario_count; j++) {
                puts(SCENARIOS[j].name);
            }
            return 0;
        } else if (arg[0] == '-') {
            die("unknown option %s (usage: tlsbench --pki DIR [--warmup-ms N] [--sample-ms N] [--samples N] "
                "[--connections N] [--idle-thread] [--list] [--serve] [SCENARIO...])", arg);
        } else if (count < 64) {
            selected[count++] = arg;
        }
    }
    if (o.pki == NULL) {
        die("--pki DIR is required");
    }
    if (o.samples > MAX_SAMPLES) {
        die("--samples: at most %d", MAX_SAMPLES);
    }
    if (serving) {
        return serve(&o);
    }
    for (int k = 0; k < count; k++) {
        int known = 0;
        for (size_t j = 0; j < scenario_count; j++) {
            known |= strcmp(selected[k], SCENARIOS[j].name) == 0;
        }
        if (!known) {
            die("unknown scenario %s (see --list)", selected[k]);
        }
    }
    fprintf(stderr, "# %s\n", OpenSSL_version(OPENSSL_VERSION));
    for (size_t j = 0; j < scenario_count; j++) {
        const scenario_t *s = &SCENARIOS[j];
        int wanted = count == 0;
        for (int k = 0; k < count; k++) {
            wanted |= strcmp(selected[k], s->name) == 0;
        }
        if (!wanted) {
            continue;
        }
        if (count == 0 && s->group != NULL && !group_known(s->group)) {
            fprintf(stderr, "# %s skipped: this OpenSSL knows no group %s\n", s->name, s->group);
            continue;
        }
        if (s->kind == KIND_IDLE) {
            run_idle(s, &o);
        } else {
            run_rate(s, &o);
        }
    }
    BIO_meth_free(g_bio_method);
    return 0;
}
