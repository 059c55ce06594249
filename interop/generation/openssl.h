/*
 * Umbrella header for the P/Invoke generator (interop/OpenSslTls.Interop.Generator) and for
 * native/constcheck/constcheck.c. clang parses this one file; every declaration located in an
 * OpenSSL header it pulls in is a candidate, and interop/bindings.txt chooses what is bound.
 *
 * OPENSSL_API_COMPAT is set here, once, so the generator and the C check see identical headers.
 * At 1.1.1 compatibility the API deprecated in 3.0 that the library still needs (ENGINE_*,
 * ERR_func_error_string, ...) is declared without deprecation attributes; nothing is hidden.
 */
#ifndef OPENSSL_API_COMPAT
# define OPENSSL_API_COMPAT 10101
#endif

#include <openssl/opensslv.h>
#include <openssl/types.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/conf.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/engine.h>
#include <openssl/store.h>
#include <openssl/pkcs12.h>
#include <openssl/decoder.h>
#include <openssl/ssl.h>
#include <openssl/ssl3.h>
#include <openssl/tls1.h>
#include <openssl/dtls1.h>
#include <openssl/srtp.h>
