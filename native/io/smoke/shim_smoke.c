/*
 * shim_smoke: one TLS 1.3 handshake and one message through a built libopenssltls_io.so, driven the way OpenSslTls
 * drives it (otls_init with the libssl functions, the caller-buffer BIO method over otls_bio_*, otls_connection_new,
 * otls_handshake/otls_write/otls_read, otls_connection_close_quietly), with no .NET involved.
 *
 * Why: the linux-arm64 shim is cross-compiled on an x64 machine; this program, cross-compiled too and run under
 * qemu-user against Debian's arm64 libssl, proves that the packed arm64 library loads, speaks the ABI OpenSslTls
 * expects (otls_version, the otls_api layout) and moves real TLS records. It builds for the host as well.
 *
 * Usage: shim_smoke PATH/libopenssltls_io.so   (exit 0 and one "shim smoke: ... ok" line on success)
 */
#define _GNU_SOURCE
/* The 3.0 API, as the library's bindings: later headers (3.5 deprecates BIO_meth_get_ctrl) must not break the build. */
#define OPENSSL_API_COMPAT 30000
#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

/* The shim's ABI (otls_io, otls_api, OTLS_ABI_VERSION): the header the shim itself is built with. */
#include "../openssltls_io_abi.h"

static struct {
    int (*version)(void);
    int (*init)(const otls_api *, size_t);
    size_t (*io_size)(void);
    int (*bio_read)(BIO *, char *, size_t, size_t *);
    int (*bio_write)(BIO *, const char *, size_t, size_t *);
    int (*bio_destroy)(BIO *);
    long (*live_io)(void);
    SSL *(*connection_new)(SSL_CTX *, const BIO_METHOD *, int, otls_io **);
    void (*connection_close_quietly)(SSL *, otls_io *);
    int (*handshake)(SSL *, int *);
    int (*read)(SSL *, otls_io *, unsigned char *, size_t, size_t *, int *);
    int (*write)(SSL *, const unsigned char *, size_t, size_t *, int *);
} shim;

static void die(const char *what)
{
    fprintf(stderr, "shim smoke: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static void *symbol(void *library, const char *name)
{
    void *address = dlsym(library, name);
    if (address == NULL) {
        fprintf(stderr, "shim smoke: the shim lacks %s\n", name);
        exit(1);
    }
    return address;
}

static void load_shim(const char *path)
{
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        fprintf(stderr, "shim smoke: cannot load %s: %s\n", path, dlerror());
        exit(1);
    }
    *(void **)&shim.version = symbol(library, "otls_version");
    *(void **)&shim.init = symbol(library, "otls_init");
    *(void **)&shim.io_size = symbol(library, "otls_io_size");
    *(void **)&shim.bio_read = symbol(library, "otls_bio_read");
    *(void **)&shim.bio_write = symbol(library, "otls_bio_write");
    *(void **)&shim.bio_destroy = symbol(library, "otls_bio_destroy");
    *(void **)&shim.live_io = symbol(library, "otls_live_io");
    *(void **)&shim.connection_new = symbol(library, "otls_connection_new");
    *(void **)&shim.connection_close_quietly = symbol(library, "otls_connection_close_quietly");
    *(void **)&shim.handshake = symbol(library, "otls_handshake");
    *(void **)&shim.read = symbol(library, "otls_read");
    *(void **)&shim.write = symbol(library, "otls_write");
    if (shim.version() != OTLS_ABI_VERSION) {
        fprintf(stderr, "shim smoke: ABI version %d, expected %d\n", shim.version(), OTLS_ABI_VERSION);
        exit(1);
    }
    if (shim.io_size() != sizeof(otls_io)) {
        die("otls_io size differs");
    }
    const otls_api api = {
        SSL_do_handshake, SSL_read_ex, SSL_write_ex, SSL_get_error, SSL_has_pending, BIO_get_data, BIO_set_flags,
        BIO_clear_flags, SSL_new, SSL_free, SSL_set_bio, SSL_set_accept_state, SSL_set_connect_state,
        SSL_set_quiet_shutdown, SSL_shutdown, BIO_new, BIO_free, BIO_set_data, BIO_set_init, ERR_clear_error,
    };
    if (shim.init(&api, sizeof(api)) != 1) {
        die("otls_init refused the function table");
    }
}

/* A self-signed P-256 certificate for localhost, made in memory (no files, no openssl CLI under qemu). */
static X509 *self_signed(EVP_PKEY *key)
{
    X509 *certificate = X509_new();
    X509_NAME *name = X509_NAME_new();
    if (certificate == NULL || name == NULL
        || X509_set_version(certificate, 2) != 1
        || ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1) != 1
        || X509_gmtime_adj(X509_getm_notBefore(certificate), -60) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(certificate), 3600) == NULL
        || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0) != 1
        || X509_set_subject_name(certificate, name) != 1
        || X509_set_issuer_name(certificate, name) != 1
        || X509_set_pubkey(certificate, key) != 1
        || X509_sign(certificate, key, EVP_sha256()) == 0) {
        die("making the certificate");
    }
    X509_NAME_free(name);
    return certificate;
}

typedef struct {
    SSL *ssl;
    otls_io *io;
    unsigned char out[65536];
    int established;
} side_t;

/* One handshake step of a side over the peer's bytes; returns the bytes it produced in side->out (spill appended). */
static size_t step(side_t *side, const unsigned char *in, size_t in_len)
{
    side->io->in = in;
    side->io->in_len = (ptrdiff_t)in_len;
    side->io->in_off = 0;
    side->io->out = side->out;
    side->io->out_cap = (ptrdiff_t)sizeof(side->out);
    side->io->out_len = 0;
    int error = 0;
    if (!side->established) {
        if (shim.handshake(side->ssl, &error) == 1) {
            side->established = 1;
        } else if (error != SSL_ERROR_WANT_READ) {
            die("handshake failed");
        }
    }
    if (side->io->spill_len > 0) {
        die("handshake output spilled past 64 KiB");
    }
    size_t produced = (size_t)side->io->out_len;
    side->io->in = NULL;
    side->io->out = NULL;
    return produced;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: shim_smoke PATH/libopenssltls_io.so\n");
        return 2;
    }
    load_shim(argv[1]);

    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (key == NULL) {
        die("EVP_EC_gen");
    }
    X509 *certificate = self_signed(key);
    SSL_CTX *server_ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX *client_ctx = SSL_CTX_new(TLS_client_method());
    if (server_ctx == NULL || client_ctx == NULL
        || SSL_CTX_use_certificate(server_ctx, certificate) != 1
        || SSL_CTX_use_PrivateKey(server_ctx, key) != 1
        || X509_STORE_add_cert(SSL_CTX_get_cert_store(client_ctx), certificate) != 1
        || SSL_CTX_set_min_proto_version(server_ctx, TLS1_3_VERSION) != 1) {
        die("making the contexts");
    }
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(server_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
    SSL_CTX_set_mode(client_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);

    /* The method OpenSslTls makes (CallerBufferBio): the shim's read/write/destroy, the null BIO's ctrl. */
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "openssltls-smoke");
    if (method == NULL
        || BIO_meth_set_write_ex(method, shim.bio_write) != 1
        || BIO_meth_set_read_ex(method, shim.bio_read) != 1
        || BIO_meth_set_ctrl(method, BIO_meth_get_ctrl(BIO_s_null())) != 1
        || BIO_meth_set_destroy(method, shim.bio_destroy) != 1) {
        die("making the BIO method");
    }

    static side_t client, server;
    server.ssl = shim.connection_new(server_ctx, method, 1, &server.io);
    client.ssl = shim.connection_new(client_ctx, method, 0, &client.io);
    if (server.ssl == NULL || client.ssl == NULL || shim.live_io() != 2) {
        die("otls_connection_new");
    }
    if (SSL_set_tlsext_host_name(client.ssl, "localhost") != 1 || SSL_set1_host(client.ssl, "localhost") != 1) {
        die("setting the server name");
    }

    static unsigned char flight[65536];
    size_t length = step(&client, NULL, 0);
    /* Each side's output becomes the other's input until neither has anything to send. */
    for (int round = 0; round < 10 && length > 0; round++) {
        memcpy(flight, client.out, length);
        length = step(&server, flight, length);
        if (length == 0) {
            break;
        }
        memcpy(flight, server.out, length);
        length = step(&client, flight, length);
    }
    if (!client.established || !server.established) {
        die("the handshake did not complete");
    }
    if (SSL_get_verify_result(client.ssl) != X509_V_OK) {
        die("the client did not verify the server");
    }

    /* One SIP-sized message client -> server through otls_write and otls_read. */
    unsigned char message[1400];
    for (size_t i = 0; i < sizeof(message); i++) {
        message[i] = (unsigned char)('a' + i % 26);
    }
    size_t total = 0;
    int error = 0;
    client.io->out = client.out;
    client.io->out_cap = (ptrdiff_t)sizeof(client.out);
    client.io->out_len = 0;
    if (shim.write(client.ssl, message, sizeof(message), &total, &error) != 1 || total != sizeof(message)) {
        die("otls_write");
    }
    size_t sent = (size_t)client.io->out_len;
    client.io->out = NULL;
    unsigned char received[4096];
    server.io->in = client.out;
    server.io->in_len = (ptrdiff_t)sent;
    server.io->in_off = 0;
    server.io->out = server.out;
    server.io->out_cap = (ptrdiff_t)sizeof(server.out);
    server.io->out_len = 0;
    shim.read(server.ssl, server.io, received, sizeof(received), &total, &error);
    if (error != SSL_ERROR_WANT_READ || total != sizeof(message) || memcmp(received, message, sizeof(message)) != 0) {
        die("otls_read did not return the message");
    }

    int group = SSL_get_negotiated_group(server.ssl);
    struct utsname machine;
    uname(&machine);
    printf("shim smoke: %s, %s: %s %s, group %s, %zu B message in %zu B of records: ok\n", machine.machine,
           OpenSSL_version(OPENSSL_VERSION), SSL_get_version(server.ssl), SSL_get_cipher_name(server.ssl),
           group == 0 ? "-" : SSL_group_to_name(server.ssl, group), sizeof(message), sent);

    shim.connection_close_quietly(client.ssl, client.io);
    shim.connection_close_quietly(server.ssl, server.io);
    SSL_free(client.ssl);
    SSL_free(server.ssl);
    if (shim.live_io() != 0) {
        die("otls_bio_destroy did not free the BIO state");
    }
    BIO_meth_free(method);
    SSL_CTX_free(client_ctx);
    SSL_CTX_free(server_ctx);
    X509_free(certificate);
    EVP_PKEY_free(key);
    return 0;
}
