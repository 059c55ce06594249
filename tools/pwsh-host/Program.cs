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

// PowerShell names its "/" drive after the first mount it finds. Where "/" is no mount point (a plain chroot) that is
// another one (/proc), and every path cmdlet then fails with "Cannot retrieve the dynamic parameters for the cmdlet":
// say so instead. A real machine or container always has "/" mounted; a chroot gets it with `mount --bind DIR DIR`.
if (OperatingSystem.IsLinux() && File.Exists("/proc/self/mountinfo")
    && !File.ReadLines("/proc/self/mountinfo").Any(line => line.Split(' ') is { Length: > 4 } fields && fields[4] == "/"))
{
    Console.Error.WriteLine("pwsh-host: \"/\" is not a mount point here (a chroot?), and PowerShell's FileSystem provider cannot work without one: bind-mount the root on itself first (mount --bind DIR DIR)");
    return 3;
}

// The Management and Utility cmdlets (Test-Path, Write-Output, ...) come from the SDK's own assemblies, imported by path:
// module auto-loading looks in PSModulePath, which an SDK host does not have on every machine (a fresh Debian root).
InitialSessionState state = InitialSessionState.CreateDefault2();
state.ImportPSModule(
    typeof(Microsoft.PowerShell.Commands.TestPathCommand).Assembly.Location,
    typeof(Microsoft.PowerShell.Commands.WriteOutputCommand).Assembly.Location);

// ConsoleShell is the SDK's own pwsh entry point: the same parameter handling (-File) as the real pwsh.
return ConsoleShell.Start(state, "pwsh-host", "", ["-NoProfile", "-NonInteractive", "-File", .. args]);
