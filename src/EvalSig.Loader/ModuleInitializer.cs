using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace EvalSig.Loading;

/// <summary>
/// Runs when PowerShell imports the module: routes EvalSig.Core (and through it every
/// dependency) to <see cref="EvalSigLoadContext"/>. Only this small assembly lives in the
/// default context.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    private static int _registered;

    public void OnImport()
    {
        if (System.Threading.Interlocked.Exchange(ref _registered, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += ResolveCore;
        }
    }

    private static Assembly? ResolveCore(AssemblyLoadContext context, AssemblyName name)
        => name.Name == "EvalSig.Core" ? EvalSigLoadContext.Instance.LoadFromAssemblyName(name) : null;
}
