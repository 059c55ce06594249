using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Microsoft.PowerShell;

// pwsh-host SCRIPT.ps1 [ARGS...]: runs the script as `pwsh -File SCRIPT.ps1 ARGS...` would (positional arguments
// bound by the script's param block, $PSScriptRoot set, `exit N` becoming the process exit code), its output streams
// written to stdout and stderr.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: pwsh-host SCRIPT.ps1 [ARGS...]");
    return 2;
}

// ConsoleShell is the SDK's own pwsh entry point: the same parameter handling (-File) as the real pwsh.
return ConsoleShell.Start(InitialSessionState.CreateDefault2(), "pwsh-host", "", ["-NoProfile", "-NonInteractive", "-File", .. args]);
