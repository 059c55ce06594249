using System.Runtime.Versioning;

// Linux only: the children's listening port and CPU time come from /proc, and they are stopped with SIGTERM.
[assembly: SupportedOSPlatform("linux")]
