/*
 * The ABI of the native I/O shim (openssltls_io.c), in one place for the shim and its C smoke test
 * (smoke/shim_smoke.c); the managed side mirrors it in OpenSslTls.Interop (BioBuffers, NativeIoShim.Api) and checks
 * the version and the sizes when it loads the shim. Change all of them together and raise OTLS_ABI_VERSION.
 */
#ifndef OPENSSLTLS_IO_ABI_H
#define OPENSSLTLS_IO_ABI_H

#include <stddef.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

/* The revision otls_version returns: OpenSslTls refuses a shim whose version differs from the one it was written for. */
#define OTLS_ABI_VERSION 5

/* Per-BIO state, shared with managed code (OpenSslTls.Interop.BioBuffers): keep the two layouts identical. */
typedef struct {
    const unsigned char *in;
    ptrdiff_t in_len;
    ptrdiff_t in_off;
    void *sink; /* the managed BIO's GCHandle; unused here */
    unsigned char *out;
    ptrdiff_t out_cap;
    ptrdiff_t out_len;
    unsigned char *spill; /* what did not fit in out: malloc'd here, copied out and freed (free()) by OpenSslTls */
    ptrdiff_t spill_len;
    ptrdiff_t spill_cap;
    long long reads; /* calls of otls_bio_read: what ssl_read_ahead saves is visible (OpenSslTls tests) */
} otls_io;

/* The OpenSSL functions the shim calls, in the order OpenSslTls fills them (NativeIoShim.Api). */
typedef struct {
    int (*ssl_do_handshake)(SSL *);
    int (*ssl_read_ex)(SSL *, void *, size_t, size_t *);
    int (*ssl_write_ex)(SSL *, const void *, size_t, size_t *);
    int (*ssl_get_error)(const SSL *, int);
    int (*ssl_has_pending)(const SSL *);
    void *(*bio_get_data)(BIO *);
    void (*bio_set_flags)(BIO *, int);
    void (*bio_clear_flags)(BIO *, int);
    /* Connection set-up and teardown (otls_connection_new, otls_connection_close_quietly, otls_bio_destroy). */
    SSL *(*ssl_new)(SSL_CTX *);
    void (*ssl_free)(SSL *);
    void (*ssl_set_bio)(SSL *, BIO *, BIO *);
    void (*ssl_set_accept_state)(SSL *);
    void (*ssl_set_connect_state)(SSL *);
    void (*ssl_set_quiet_shutdown)(SSL *, int);
    int (*ssl_shutdown)(SSL *);
    BIO *(*bio_new)(const BIO_METHOD *);
    int (*bio_free)(BIO *);
    void (*bio_set_data)(BIO *, void *);
    void (*bio_set_init)(BIO *, int);
    void (*err_clear_error)(void);
} otls_api;

#endif
