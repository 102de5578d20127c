using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// Reads whether this machine runs on its battery, where the OS says so without privileges: on Linux, the power supplies in
/// /sys/class/power_supply (a supply of type Mains or USB whose "online" is 1 means plugged in; a Battery with none online
/// means on battery). Elsewhere, or without a battery, null: unknown, and no X-SplitCompute-Power is sent unless asked.
/// </summary>
public static class PowerSupply
{
    public const string LinuxRoot = "/sys/class/power_supply";

    /// <summary>True on battery, false plugged in, null when unknown (no battery, or not Linux).</summary>
    public static bool? OnBattery(string root = LinuxRoot)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists(root)) return null;
        bool battery = false, external = false, online = false;
        try
        {
            foreach (var supply in Directory.EnumerateDirectories(root))
            {
                var type = Read(supply, "type");
                if (type == "Battery") battery = true;
                else if (type is "Mains" or "USB" or "USB_C" or "USB_PD")
                {
                    external = true;
                    online |= Read(supply, "online") == "1";
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (!battery) return null;  // a desktop: nothing to spare
        return external ? !online : null;
    }

    /// <summary>The state to advertise: the one given, else the OS's with the given preference; null when nothing is known.</summary>
    public static PowerState? Resolve(bool? onBattery, bool? saveEnergy, string root = LinuxRoot)
    {
        var battery = onBattery ?? OnBattery(root);
        if (battery is null && saveEnergy is null) return null;
        return new PowerState(battery ?? false, saveEnergy ?? false);
    }

    private static string? Read(string directory, string file)
    {
        var path = Path.Combine(directory, file);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}
