using System.Reflection;
using System.Text.RegularExpressions;
using OkrGrid.Planning;

namespace OkrGrid.Tests.Storage;

/// <summary>
/// Every type Orleans serializes and every grain interface carries an [Alias] of the scheme
/// "okr.&lt;area&gt;.&lt;kebab-case name&gt;", no two alike — an alias, not a namespace, is what a payload names, so
/// moving a type to another namespace or assembly keeps stored scenarios and structure rows readable. (The ORLEANS0010
/// analyzer makes a missing alias a build error for records and classes and interfaces; this also covers enums, the
/// scheme, and uniqueness across assemblies.)
/// </summary>
[Trait("Category", "Fast")]
public sealed partial class AliasTests
{
    private static readonly Assembly[] Assemblies = [typeof(PlanMove).Assembly, typeof(ScenarioRecord).Assembly];

    [GeneratedRegex("^okr\\.[a-z]+\\.[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex Scheme();

    /// <summary>
    /// The type's own alias. AliasAttribute allows several and is inherited, but Orleans' code generator registers only
    /// the first declared on the type itself — an alias a record inherits from its base names nothing.
    /// </summary>
    private static string? AliasOf(MemberInfo member) => member.GetCustomAttributes<AliasAttribute>(inherit: false).FirstOrDefault()?.Alias;

    private static IEnumerable<Type> Aliased() => Assemblies.SelectMany(a => a.GetTypes()).Where(t =>
        t.GetCustomAttribute<GenerateSerializerAttribute>() is not null
        || (t.IsInterface && typeof(IAddressable).IsAssignableFrom(t))
        || (t.IsEnum && t.IsPublic && t.Assembly == typeof(PlanMove).Assembly && t.Namespace != null));

    [Fact]
    public void EverySerializedTypeAndGrainInterfaceHasAnAliasOfTheScheme()
    {
        var types = Aliased().ToList();
        Assert.Contains(typeof(MoveKeyResult), types);
        Assert.Contains(typeof(IScenarioGrain), types);

        var wrong = types.Where(t => AliasOf(t) is not { } alias || !Scheme().IsMatch(alias))
            .Select(t => $"{t.FullName}: {AliasOf(t) ?? "(none)"}").ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void NoTwoTypesShareAnAlias()
    {
        var clashes = Aliased().GroupBy(AliasOf).Where(g => g.Key is not null && g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(t => t.FullName))}").ToList();
        Assert.Empty(clashes);
    }

    [Fact]
    public void EveryGrainInterfaceMethodHasAnAlias()
    {
        var missing = Aliased().Where(t => t.IsInterface)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Select(m => (t, m)))
            .Where(x => AliasOf(x.m) is null)
            .Select(x => $"{x.t.Name}.{x.m.Name}").ToList();
        Assert.Empty(missing);
    }
}
