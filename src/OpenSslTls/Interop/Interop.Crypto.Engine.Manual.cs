using System.Runtime.InteropServices;

namespace OpenSslTls.Interop;

// Hand-written bindings the engine, key-store and random-generator code needs that interop/bindings.txt does not list
// yet (NCONF_*, UI_UTIL_wrap_read_pem_callback, OSSL_LIB_CTX_*, EVP_RAND_*, a few legacy RSA/EC_KEY accessors). Same conventions as the generated file:
// blittable signatures, the C declaration in NativeTypeName. They can move to bindings.txt on the next regeneration.
internal static unsafe partial class NativeMethods
{
    internal static partial class Crypto
    {
        [NativeTypeName("CONF *NCONF_new(CONF_METHOD *meth)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern CONF* NCONF_new(void* method);

        [NativeTypeName("void NCONF_free(CONF *conf)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void NCONF_free(CONF* conf);

        [NativeTypeName("int NCONF_load(CONF *conf, const char *file, long *eline)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int NCONF_load(CONF* conf, sbyte* file, nint* errorLine);

        /// <summary>Borrowed: the string belongs to <paramref name="conf"/>. Queues CONF_R_NO_VALUE when absent.</summary>
        [NativeTypeName("char *NCONF_get_string(const CONF *conf, const char *group, const char *name)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern sbyte* NCONF_get_string(CONF* conf, sbyte* group, sbyte* name);

        /// <summary>Borrowed: the stack of <see cref="ConfValue"/> belongs to <paramref name="conf"/>.</summary>
        [NativeTypeName("STACK_OF(CONF_VALUE) *NCONF_get_section(const CONF *conf, const char *section)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern OPENSSL_STACK* NCONF_get_section(CONF* conf, sbyte* section);

        /// <summary>A new UI method (free with <see cref="UI_destroy_method"/>) that answers prompts through a <c>pem_password_cb</c>.</summary>
        [NativeTypeName("UI_METHOD *UI_UTIL_wrap_read_pem_callback(pem_password_cb *cb, int rwflag)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern UI_METHOD* UI_UTIL_wrap_read_pem_callback(delegate* unmanaged[Cdecl]<sbyte*, int, int, void*, int> callback, int writing);

        [NativeTypeName("void UI_destroy_method(UI_METHOD *ui_method)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void UI_destroy_method(UI_METHOD* method);

        [NativeTypeName("OSSL_LIB_CTX *OSSL_LIB_CTX_new(void)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern OSSL_LIB_CTX* OSSL_LIB_CTX_new();

        [NativeTypeName("void OSSL_LIB_CTX_free(OSSL_LIB_CTX *)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void OSSL_LIB_CTX_free(OSSL_LIB_CTX* context);

        /// <summary>Borrowed: the algorithm (an <c>EVP_RAND *</c>, which has no generated opaque type) belongs to <paramref name="context"/>.</summary>
        [NativeTypeName("EVP_RAND *EVP_RAND_CTX_get0_rand(EVP_RAND_CTX *ctx)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void* EVP_RAND_CTX_get0_rand(EVP_RAND_CTX* context);

        [NativeTypeName("const char *EVP_RAND_get0_name(const EVP_RAND *rand)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern sbyte* EVP_RAND_get0_name(void* rand);

        /// <summary>Borrowed: a legacy RSA key's private exponent, or null when the key's owner (a token) keeps it.</summary>
        [NativeTypeName("const BIGNUM *RSA_get0_d(const RSA *d)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern BIGNUM* RSA_get0_d(RSA* rsa);

        /// <summary>Borrowed: the method that performs a legacy RSA key's operations.</summary>
        [NativeTypeName("const RSA_METHOD *RSA_get_method(const RSA *rsa)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern RSA_METHOD* RSA_get_method(RSA* rsa);

        [NativeTypeName("const char *RSA_meth_get0_name(const RSA_METHOD *meth)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern sbyte* RSA_meth_get0_name(RSA_METHOD* method);

        /// <summary>Borrowed: a legacy EC key's private scalar, or null when the key's owner (a token) keeps it.</summary>
        [NativeTypeName("const BIGNUM *EC_KEY_get0_private_key(const EC_KEY *key)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern BIGNUM* EC_KEY_get0_private_key(EC_KEY* key);

        /// <summary>Borrowed: the method that performs a legacy EC key's operations.</summary>
        [NativeTypeName("const EC_KEY_METHOD *EC_KEY_get_method(const EC_KEY *key)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern EC_KEY_METHOD* EC_KEY_get_method(EC_KEY* key);

        [NativeTypeName("const EC_KEY_METHOD *EC_KEY_OpenSSL(void)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern EC_KEY_METHOD* EC_KEY_OpenSSL();

        [NativeTypeName("unsigned int EVP_RAND_get_strength(EVP_RAND_CTX *ctx)")]
        [DllImport(Libraries.Crypto, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint EVP_RAND_get_strength(EVP_RAND_CTX* context);
    }

    /// <summary>conf.h's <c>CONF_VALUE</c> (a public struct): one <c>name = value</c> line of a section.</summary>
    [NativeTypeName("CONF_VALUE")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct ConfValue
    {
        internal sbyte* Section;
        internal sbyte* Name;
        internal sbyte* Value;
    }
}
