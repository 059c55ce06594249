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

// The Management and Utility cmdlets (Test-Path, Write-Output, ...) come from the SDK's own assemblies, imported by path:
// module auto-loading looks in PSModulePath, which an SDK host does not have on every machine (a fresh Debian root).
InitialSessionState state = InitialSessionState.CreateDefault2();
state.ImportPSModule(
    typeof(Microsoft.PowerShell.Commands.TestPathCommand).Assembly.Location,
    typeof(Microsoft.PowerShell.Commands.WriteOutputCommand).Assembly.Location);

// ConsoleShell is the SDK's own pwsh entry point: the same parameter handling (-File) as the real pwsh.
return ConsoleShell.Start(state, "pwsh-host", "", ["-NoProfile", "-NonInteractive", "-File", .. args]);
