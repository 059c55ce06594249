using System.Runtime.Versioning;

// Linux only: idle memory reads /proc/self/status and glibc's mallinfo2, and SslStream's CipherSuitesPolicy needs OpenSSL.
[assembly: SupportedOSPlatform("linux")]
