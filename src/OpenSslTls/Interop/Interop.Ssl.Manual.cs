using System.Runtime.CompilerServices;

namespace OpenSslTls.Interop;

// Hand-written typed wrappers for ssl.h's function-like macros: the preprocessor expands them into SSL_CTX_ctrl /
// SSL_ctrl calls, which the generator binds; each wrapper keeps the C macro in its NativeTypeName.
internal static unsafe partial class NativeMethods
{
    internal static partial class Ssl
    {
        [NativeTypeName("#define SSL_CTX_set1_groups_list(ctx, s) SSL_CTX_ctrl(ctx,SSL_CTRL_SET_GROUPS_LIST,0,(char *)(s))")]
        internal static nint SSL_CTX_set1_groups_list(SSL_CTX* ctx, sbyte* list) => SSL_CTX_ctrl(ctx, SSL_CTRL_SET_GROUPS_LIST, 0, list);

        [NativeTypeName("#define SSL_get_negotiated_group(s) SSL_ctrl(s,SSL_CTRL_GET_NEGOTIATED_GROUP,0,NULL)")]
        internal static int SSL_get_negotiated_group(SSL* s) => (int)SSL_ctrl(s, SSL_CTRL_GET_NEGOTIATED_GROUP, 0, null);

        [NativeTypeName("#define SSL_CTX_set_mode(ctx,op) SSL_CTX_ctrl((ctx),SSL_CTRL_MODE,(op),NULL)")]
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static nint SSL_CTX_set_mode(SSL_CTX* ctx, nint mode) => SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, mode, null);

        [NativeTypeName("#define SSL_CTX_clear_mode(ctx,op) SSL_CTX_ctrl((ctx),SSL_CTRL_CLEAR_MODE,(op),NULL)")]
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static nint SSL_CTX_clear_mode(SSL_CTX* ctx, nint mode) => SSL_CTX_ctrl(ctx, SSL_CTRL_CLEAR_MODE, mode, null);

        [NativeTypeName("#define SSL_CTX_get_mode(ctx) SSL_CTX_ctrl((ctx),SSL_CTRL_MODE,0,NULL)")]
        internal static nint SSL_CTX_get_mode(SSL_CTX* ctx) => SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, 0, null);

        [NativeTypeName("#define SSL_get_mode(ssl) SSL_ctrl((ssl),SSL_CTRL_MODE,0,NULL)")]
        internal static nint SSL_get_mode(SSL* ssl) => SSL_ctrl(ssl, SSL_CTRL_MODE, 0, null);

        [NativeTypeName("#define SSL_CTX_set_max_send_fragment(ctx,m) SSL_CTX_ctrl(ctx,SSL_CTRL_SET_MAX_SEND_FRAGMENT,m,NULL)")]
        internal static nint SSL_CTX_set_max_send_fragment(SSL_CTX* ctx, nint length) =>
            SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_SEND_FRAGMENT, length, null);

        [NativeTypeName("#define SSL_CTX_set_read_ahead(ctx,m) SSL_CTX_ctrl((ctx),SSL_CTRL_SET_READ_AHEAD,(m),NULL)")]
        internal static nint SSL_CTX_set_read_ahead(SSL_CTX* ctx, nint on) => SSL_CTX_ctrl(ctx, SSL_CTRL_SET_READ_AHEAD, on, null);

        [NativeTypeName("#define SSL_CTX_get_read_ahead(ctx) SSL_CTX_ctrl((ctx),SSL_CTRL_GET_READ_AHEAD,0,NULL)")]
        internal static nint SSL_CTX_get_read_ahead(SSL_CTX* ctx) => SSL_CTX_ctrl(ctx, SSL_CTRL_GET_READ_AHEAD, 0, null);

        [NativeTypeName("#define SSL_CTX_set_min_proto_version(ctx, version) SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, version, NULL)")]
        internal static nint SSL_CTX_set_min_proto_version(SSL_CTX* ctx, int version) =>
            SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, version, null);

        [NativeTypeName("#define SSL_CTX_set_max_proto_version(ctx, version) SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, version, NULL)")]
        internal static nint SSL_CTX_set_max_proto_version(SSL_CTX* ctx, int version) =>
            SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, version, null);

        [NativeTypeName("#define SSL_CTX_get_min_proto_version(ctx) SSL_CTX_ctrl(ctx, SSL_CTRL_GET_MIN_PROTO_VERSION, 0, NULL)")]
        internal static nint SSL_CTX_get_min_proto_version(SSL_CTX* ctx) => SSL_CTX_ctrl(ctx, SSL_CTRL_GET_MIN_PROTO_VERSION, 0, null);

        [NativeTypeName("#define SSL_CTX_get_max_proto_version(ctx) SSL_CTX_ctrl(ctx, SSL_CTRL_GET_MAX_PROTO_VERSION, 0, NULL)")]
        internal static nint SSL_CTX_get_max_proto_version(SSL_CTX* ctx) => SSL_CTX_ctrl(ctx, SSL_CTRL_GET_MAX_PROTO_VERSION, 0, null);

        [NativeTypeName("#define SSL_CTX_set_session_cache_mode(ctx,m) SSL_CTX_ctrl(ctx,SSL_CTRL_SET_SESS_CACHE_MODE,m,NULL)")]
        internal static nint SSL_CTX_set_session_cache_mode(SSL_CTX* ctx, nint mode) =>
            SSL_CTX_ctrl(ctx, SSL_CTRL_SET_SESS_CACHE_MODE, mode, null);

        [NativeTypeName("#define SSL_CTX_get_session_cache_mode(ctx) SSL_CTX_ctrl(ctx,SSL_CTRL_GET_SESS_CACHE_MODE,0,NULL)")]
        internal static nint SSL_CTX_get_session_cache_mode(SSL_CTX* ctx) => SSL_CTX_ctrl(ctx, SSL_CTRL_GET_SESS_CACHE_MODE, 0, null);

        [NativeTypeName("#define SSL_CTX_set_dh_auto(ctx, onoff) SSL_CTX_ctrl(ctx,SSL_CTRL_SET_DH_AUTO,onoff,NULL)")]
        internal static nint SSL_CTX_set_dh_auto(SSL_CTX* ctx, nint on) => SSL_CTX_ctrl(ctx, SSL_CTRL_SET_DH_AUTO, on, null);

        [NativeTypeName("#define SSL_CTX_set_tlsext_servername_callback(ctx, cb) SSL_CTX_callback_ctrl(ctx,SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, (void (*)(void))cb)")]
        internal static nint SSL_CTX_set_tlsext_servername_callback(SSL_CTX* ctx, delegate* unmanaged[Cdecl]<SSL*, int*, void*, int> callback) =>
            SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, (delegate* unmanaged[Cdecl]<void>)callback);

        [NativeTypeName("#define SSL_CTX_set_tlsext_servername_arg(ctx, arg) SSL_CTX_ctrl(ctx,SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG,0,arg)")]
        internal static nint SSL_CTX_set_tlsext_servername_arg(SSL_CTX* ctx, void* arg) =>
            SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, arg);

        [NativeTypeName("#define SSL_set_tlsext_host_name(s,name) SSL_ctrl(s,SSL_CTRL_SET_TLSEXT_HOSTNAME,TLSEXT_NAMETYPE_host_name, (void *)name)")]
        internal static nint SSL_set_tlsext_host_name(SSL* ssl, sbyte* name) =>
            SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, name);

        [NativeTypeName("#define SSL_get_max_proto_version(s) SSL_ctrl(s, SSL_CTRL_GET_MAX_PROTO_VERSION, 0, NULL)")]
        internal static nint SSL_get_max_proto_version(SSL* ssl) => SSL_ctrl(ssl, SSL_CTRL_GET_MAX_PROTO_VERSION, 0, null);

        [NativeTypeName("#define SSL_CTX_sess_number(ctx) SSL_CTX_ctrl(ctx,SSL_CTRL_SESS_NUMBER,0,NULL)")]
        internal static nint SSL_CTX_sess_number(SSL_CTX* ctx) => SSL_CTX_ctrl(ctx, SSL_CTRL_SESS_NUMBER, 0, null);

        [NativeTypeName("#define SSL_CTX_sess_hits(ctx) SSL_CTX_ctrl(ctx,SSL_CTRL_SESS_HIT,0,NULL)")]
        internal static nint SSL_CTX_sess_hits(SSL_CTX* ctx) => SSL_CTX_ctrl(ctx, SSL_CTRL_SESS_HIT, 0, null);

        [NativeTypeName("#define SSL_get_ex_new_index(l, p, newf, dupf, freef) CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, l, p, newf, dupf, freef)")]
        internal static int SSL_get_ex_new_index() => Crypto.CRYPTO_get_ex_new_index(Crypto.CRYPTO_EX_INDEX_SSL, 0, null, null, null, null);

        [NativeTypeName("#define SSL_CTX_get_ex_new_index(l, p, newf, dupf, freef) CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, l, p, newf, dupf, freef)")]
        internal static int SSL_CTX_get_ex_new_index() => Crypto.CRYPTO_get_ex_new_index(Crypto.CRYPTO_EX_INDEX_SSL_CTX, 0, null, null, null, null);
    }

    internal static partial class Crypto
    {
        [NativeTypeName("#define BIO_get_mem_data(b,pp) BIO_ctrl(b,BIO_CTRL_INFO,0,(char *)(pp))")]
        internal static nint BIO_get_mem_data(BIO* bio, sbyte** data) => BIO_ctrl(bio, BIO_CTRL_INFO, 0, data);

        [NativeTypeName("#define BIO_set_retry_read(b) BIO_set_flags(b, (BIO_FLAGS_READ|BIO_FLAGS_SHOULD_RETRY))")]
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void BIO_set_retry_read(BIO* bio) => BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY);

        [NativeTypeName("#define BIO_set_retry_write(b) BIO_set_flags(b, (BIO_FLAGS_WRITE|BIO_FLAGS_SHOULD_RETRY))")]
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void BIO_set_retry_write(BIO* bio) => BIO_set_flags(bio, BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY);

        [NativeTypeName("#define BIO_clear_retry_flags(b) BIO_clear_flags(b, (BIO_FLAGS_RWS|BIO_FLAGS_SHOULD_RETRY))")]
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void BIO_clear_retry_flags(BIO* bio) => BIO_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
    }
}
