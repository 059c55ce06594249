/*
 * openssltls_io: the caller-buffer BIO and the per-operation libssl loops of OpenSslTls, in C.
 *
 * Why it exists: the managed BIO costs a reverse P/Invoke (GC-mode switch, thread lookup) per BIO read and write plus
 * three P/Invokes for BIO_get_data/BIO_set_flags/BIO_clear_flags inside each, and a decrypt costs one SSL_read_ex
 * crossing per record. Here the BIO callbacks and the record loop run in C, so one record-path operation is one
 * crossing each way. docs/benchmarks.md has the measurement that justified it; OpenSslTls falls back to its managed
 * BIO when this library is absent.
 *
 * It does not link libssl or libcrypto: OpenSslTls passes the addresses of the functions it already resolved
 * (otls_init), so the shim always drives the very OpenSSL the rest of the library uses, whatever paths were chosen.
 * Only types and constants come from the OpenSSL 3.0 headers; both are ABI-stable within 3.x.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include "openssltls_io_abi.h"

#define OTLS_EXPORT __attribute__((visibility("default")))

static otls_api api;

/* otls_io blocks allocated by otls_connection_new and not yet freed by otls_bio_destroy (the tests' leak check). */
static atomic_long live_io;

/* Version of this ABI: OpenSslTls refuses a shim whose version differs from the one it was written for. */
OTLS_EXPORT int otls_version(void)
{
    return OTLS_ABI_VERSION;
}

OTLS_EXPORT int otls_init(const otls_api *functions, size_t size)
{
    if (functions == NULL || size != sizeof(otls_api)) {
        return 0;
    }
    memcpy(&api, functions, sizeof(api));
    return 1;
}

OTLS_EXPORT size_t otls_io_size(void)
{
    return sizeof(otls_io);
}

OTLS_EXPORT int otls_bio_read(BIO *bio, char *data, size_t length, size_t *read)
{
    api.bio_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
    otls_io *io = api.bio_get_data(bio);
    if (io != NULL) {
        io->reads++;
    }
    ptrdiff_t available = io == NULL || io->in == NULL ? 0 : io->in_len - io->in_off;
    if (available <= 0) {
        *read = 0;
        api.bio_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY);
        return 0;
    }
    size_t count = (size_t)available < length ? (size_t)available : length;
    memcpy(data, io->in + io->in_off, count);
    io->in_off += (ptrdiff_t)count;
    *read = count;
    return 1;
}

/*
 * Copies what fits into the caller's output span and the rest into the spill buffer: the write never fails during an
 * operation. It must not: libssl writes alerts from the read path (e.g. refusing a renegotiation) without reporting
 * WANT_WRITE, and an alert that does not go out whole would be overwritten by the next one or cut the stream.
 */
OTLS_EXPORT int otls_bio_write(BIO *bio, const char *data, size_t length, size_t *written)
{
    api.bio_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
    otls_io *io = api.bio_get_data(bio);
    *written = 0;
    if (io == NULL || io->out == NULL) {
        /* No operation is running (e.g. an alert while the connection is being freed): nowhere to send. */
        api.bio_set_flags(bio, BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY);
        return 0;
    }
    ptrdiff_t room = io->out_cap - io->out_len;
    size_t direct = room <= 0 ? 0 : ((size_t)room < length ? (size_t)room : length);
    memcpy(io->out + io->out_len, data, direct);
    io->out_len += (ptrdiff_t)direct;
    size_t rest = length - direct;
    if (rest > 0) {
        if ((size_t)(io->spill_cap - io->spill_len) < rest) {
            size_t capacity = io->spill_cap > 0 ? (size_t)io->spill_cap : 4096;
            while (capacity - (size_t)io->spill_len < rest) {
                capacity *= 2;
            }
            unsigned char *grown = realloc(io->spill, capacity);
            if (grown == NULL) {
                *written = direct;
                return direct > 0 ? 1 : 0;
            }
            io->spill = grown;
            io->spill_cap = (ptrdiff_t)capacity;
        }
        memcpy(io->spill + io->spill_len, data + direct, rest);
        io->spill_len += (ptrdiff_t)rest;
    }
    *written = length;
    return 1;
}

/* The native BIO method's destroy callback (SSL_free frees the BIO, which frees its state here). */
OTLS_EXPORT int otls_bio_destroy(BIO *bio)
{
    otls_io *io = api.bio_get_data(bio);
    if (io != NULL) {
        api.bio_set_data(bio, NULL);
        free(io->spill);
        free(io);
        atomic_fetch_sub_explicit(&live_io, 1, memory_order_relaxed);
    }
    return 1;
}

OTLS_EXPORT long otls_live_io(void)
{
    return atomic_load_explicit(&live_io, memory_order_relaxed);
}

/*
 * One connection's SSL over a new caller-buffer BIO of `method` (whose destroy callback must be otls_bio_destroy),
 * in accept or connect state: the seven calls SslEngine would otherwise make one by one. Returns NULL on failure
 * (OpenSSL's error queue says why, except when calloc failed), having freed what it made.
 */
OTLS_EXPORT SSL *otls_connection_new(SSL_CTX *ctx, const BIO_METHOD *method, int server, otls_io **io_out)
{
    *io_out = NULL;
    /* SSL_new up-refs the SSL_CTX: the context outlives the connection whatever its profile does. */
    SSL *ssl = api.ssl_new(ctx);
    if (ssl == NULL) {
        return NULL;
    }
    BIO *bio = api.bio_new(method);
    if (bio == NULL) {
        api.ssl_free(ssl);
        return NULL;
    }
    otls_io *io = calloc(1, sizeof(*io));
    if (io == NULL) {
        api.bio_free(bio); /* not attached to the SSL yet: ours to free */
        api.ssl_free(ssl);
        return NULL;
    }
    atomic_fetch_add_explicit(&live_io, 1, memory_order_relaxed);
    api.bio_set_data(bio, io);
    api.bio_set_init(bio, 1);
    /* The same BIO for reading and writing transfers exactly one reference, the one BIO_new returned: from here
     * SSL_free frees the BIO, and otls_bio_destroy frees io. */
    api.ssl_set_bio(ssl, bio, bio);
    if (server) {
        api.ssl_set_accept_state(ssl);
    } else {
        api.ssl_set_connect_state(ssl);
    }
    *io_out = io;
    return ssl;
}

/*
 * Quiet shutdown before SSL_free (no close_notify, but the session stays resumable), with the BIO detached from any
 * caller buffer so nothing can be read or written; clears the error queue it may leave.
 */
OTLS_EXPORT void otls_connection_close_quietly(SSL *ssl, otls_io *io)
{
    api.ssl_set_quiet_shutdown(ssl, 1);
    io->in = NULL;
    io->in_len = 0;
    io->in_off = 0;
    io->out = NULL;
    io->out_cap = 0;
    io->out_len = 0;
    api.ssl_shutdown(ssl);
    api.err_clear_error();
}

static int result_of(SSL *ssl, int result, int *ssl_error)
{
    *ssl_error = result == 1 ? SSL_ERROR_NONE : api.ssl_get_error(ssl, result);
    return result;
}

OTLS_EXPORT int otls_handshake(SSL *ssl, int *ssl_error)
{
    return result_of(ssl, api.ssl_do_handshake(ssl), ssl_error);
}

/*
 * Decrypts records into dst until it is full, libssl needs more input, or something else happens. When the input is
 * consumed and libssl holds nothing buffered, another SSL_read_ex could only answer "want read": it is skipped (no
 * write can be pending either: otls_bio_write never refuses bytes during an operation).
 * Returns 1 when it stopped with room or input left (call again), else SSL_read_ex's failure with *ssl_error set
 * (SSL_ERROR_WANT_READ when simply out of input). *total counts the bytes decrypted either way.
 */
OTLS_EXPORT int otls_read(SSL *ssl, otls_io *io, unsigned char *dst, size_t capacity, size_t *total, int *ssl_error)
{
    *total = 0;
    for (;;) {
        if (io->in_off >= io->in_len && !api.ssl_has_pending(ssl)) {
            *ssl_error = SSL_ERROR_WANT_READ;
            return 0;
        }
        if (*total == capacity) {
            *ssl_error = SSL_ERROR_NONE;
            return 1;
        }
        size_t read = 0;
        int result = api.ssl_read_ex(ssl, dst + *total, capacity - *total, &read);
        if (result != 1) {
            return result_of(ssl, result, ssl_error);
        }
        *total += read;
    }
}

/* Encrypts all of src (partial-write mode: one record per SSL_write_ex); stops early only on failure or full output. */
OTLS_EXPORT int otls_write(SSL *ssl, const unsigned char *src, size_t length, size_t *total, int *ssl_error)
{
    *total = 0;
    while (*total < length) {
        size_t written = 0;
        int result = api.ssl_write_ex(ssl, src + *total, length - *total, &written);
        if (result != 1) {
            return result_of(ssl, result, ssl_error);
        }
        *total += written;
    }
    *ssl_error = SSL_ERROR_NONE;
    return 1;
}
