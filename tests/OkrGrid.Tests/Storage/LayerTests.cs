using System.Reflection;
using OkrGrid.Planning;

namespace OkrGrid.Tests.Storage;

/// <summary>
/// contracts/ holds what goes on the wire or into storage, domain/ the pure logic on it (CONTRIBUTING.md, "Two layers
/// below the grains"). A serialized type or a grain interface in domain/ would be a payload that contracts/ — and so
/// a client that has only the contracts — cannot name.
/// </summary>
[Trait("Category", "Fast")]
public sealed class LayerTests
{
    [Fact]
    public void TheDomainHoldsNoSerializedTypeAndNoGrainInterface()
    {
        var domain = typeof(Rules).Assembly;
        Assert.NotEqual(typeof(PlanMove).Assembly, domain);
        var onTheWire = domain.GetTypes()
            .Where(t => t.GetCustomAttribute<GenerateSerializerAttribute>() is not null || typeof(IAddressable).IsAssignableFrom(t))
            .Select(t => t.FullName);
        Assert.Empty(onTheWire);
    }
}
