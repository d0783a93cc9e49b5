using System.Net;
using OkrGrid.Engine.Integrations;

namespace OkrGrid.Tests.Integrations;

[Trait("Category", "Fast")]
public sealed class OutboundHttpTests
{
    private static OutboundHttp Guard(bool allowPrivate = false) =>
        new(Microsoft.Extensions.Options.Options.Create(new OutboundOptions { AllowPrivateNetworks = allowPrivate, Timeout = TimeSpan.FromSeconds(2) }));

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.8.9.10", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("192.0.2.2", false)]
    [InlineData("198.51.100.7", false)]
    [InlineData("203.0.113.9", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("93.184.216.34", true)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("2606:4700::1111", true)]
    public void AnAddressIsPublicOnlyOutsideTheReservedRanges(string address, bool isPublic) =>
        Assert.Equal(isPublic, OutboundHttp.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://localhost:8080/hook", "this machine")]
    [InlineData("http://api.localhost/hook", "this machine")]
    [InlineData("http://127.0.0.1/hook", "this machine")]
    [InlineData("http://[::1]/hook", "this machine")]
    [InlineData("http://169.254.169.254/latest/meta-data", "non-public")]
    [InlineData("http://10.0.0.5/", "non-public")]
    [InlineData("ftp://example.com/x", "https://")]
    [InlineData("file:///etc/passwd", "https://")]
    [InlineData("https://user:pw@example.com/", "password")]
    [InlineData("not a url", "absolute")]
    [InlineData("", "required")]
    public void AUrlThatCouldReachInsideIsRefusedWithTheReason(string url, string reason) =>
        Assert.Contains(reason, Guard().Validate(url));

    [Fact]
    public void APublicHttpsUrlIsAccepted() => Assert.Null(Guard().Validate("https://hooks.slack.com/services/T000/B000/XXXX"));

    [Fact]
    public void AnAdminSettingAllowsPrivateNetworks() => Assert.Null(Guard(allowPrivate: true).Validate("http://127.0.0.1:5000/hook"));

    [Fact]
    public async Task ALoopbackLiteralIsRefusedAtConnectEvenWithoutValidate()
    {
        // Port 1 refuses connections anyway; the reason must be the guard's, not the refused connection's.
        using var guard = Guard();
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => guard.Client.GetAsync("http://127.0.0.1:1/", TestContext.Current.CancellationToken));
        Assert.Contains("non-public", OutboundHttp.Describe(e));
    }
}
