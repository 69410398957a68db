namespace Rookery.Tests;

public sealed class DeployTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task The_example_server_cfg_is_valid()
    {
        cli.UseDefaultEngine();
        var example = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "deploy", "config", "server.cfg");
        File.Copy(example, Path.Combine(cli.ConfigDirectory, "server.cfg"));
        var (code, output, error) = await cli.RunAsync("config", "params", "server", "--json");
        Assert.True(code == 0, error);
        Assert.Contains("\"mysql\"", output);
        Assert.DoesNotContain("secret", output); // passwords are masked
    }
}
