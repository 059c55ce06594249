/*
 * Prints every constant the P/Invoke generator bound, as the C compiler sees it, so a test can
 * compare the C# constants in src/OpenSslTls/Interop/Generated against the real headers.
 *
 * Build and run (from anywhere):
 *   cc -Wall -Werror -o constcheck native/constcheck/constcheck.c -lssl -lcrypto && ./constcheck
 *
 * Output, one line each, in the order of constants.g.h (sorted by name):
 *   NAME=VALUE          integers in decimal (signed or unsigned as the C type is)
 *   NAME=TEXT           strings as their characters; only '\', newline, carriage return and other
 *                       non-printable bytes are escaped (\\, \n, \r, \xHH)
 *   sizeof(NAME)=N      for each struct bound with its layout (NAME is the C# struct name)
 *
 * The umbrella header is the generator's own, so both see the same headers and the same
 * OPENSSL_API_COMPAT.
 */
#include "../../interop/generation/openssl.h"

#include <stdio.h>

static void print_signed(const char *name, long long value)
{
    printf("%s=%lld\n", name, value);
}

static void print_unsigned(const char *name, unsigned long long value)
{
    printf("%s=%llu\n", name, value);
}

static void print_string(const char *name, const char *value)
{
    const unsigned char *p;

    printf("%s=", name);
    for (p = (const unsigned char *)value; *p != '\0'; p++) {
        if (*p == '\\')
            fputs("\\\\", stdout);
        else if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\r')
            fputs("\\r", stdout);
        else if (*p < 0x20 || *p > 0x7E)
            printf("\\x%02X", (unsigned int)*p);
        else
            putchar(*p);
    }
    putchar('\n');
}

/*
 * Dispatch on the constant's own C type. There is deliberately no default branch: a constant of a
 * type not listed here (a pointer, a double) fails to compile instead of printing something wrong.
 */
#define CONST(name) _Generic((name),                   \
        char: print_signed,                            \
        signed char: print_signed,                     \
        short: print_signed,                           \
        int: print_signed,                             \
        long: print_signed,                            \
        long long: print_signed,                       \
        _Bool: print_unsigned,                         \
        unsigned char: print_unsigned,                 \
        unsigned short: print_unsigned,                \
        unsigned int: print_unsigned,                  \
        unsigned long: print_unsigned,                 \
        unsigned long long: print_unsigned,            \
        char *: print_string,                          \
        const char *: print_string)(#name, (name));

#define STRUCT_SIZE(csharp_name, c_type) printf("sizeof(%s)=%zu\n", #csharp_name, sizeof(c_type));

int main(void)
{
#include "constants.g.h"
    return 0;
}
