using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace EvalSig.Loading;

/// <summary>
/// Runs when PowerShell imports the module, before the cmdlet assembly is loaded: routes
/// EvalSig.Bridge and EvalSig.Bridge.Cloud (and through them every third-party dependency) to
/// <see cref="EvalSigLoadContext"/>.
/// EvalSig.Core and the cmdlets stay in the default context, where scripts can name their types.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    private static int _registered;

    public void OnImport()
    {
        if (System.Threading.Interlocked.Exchange(ref _registered, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += ResolveBridge;
        }
    }

    /// <summary>The one assembly of the module's own that lives in <c>Dependencies/</c>.</summary>
    internal const string BridgeAssembly = "EvalSig.Bridge";

    /// <summary>The second bridge: object storage through the Azure and AWS SDKs, also in <c>Dependencies/</c>.</summary>
    internal const string CloudBridgeAssembly = "EvalSig.Bridge.Cloud";

    private static Assembly? ResolveBridge(AssemblyLoadContext context, AssemblyName name)
        => name.Name is BridgeAssembly or CloudBridgeAssembly ? EvalSigLoadContext.Instance.LoadFromAssemblyName(name) : null;
}
