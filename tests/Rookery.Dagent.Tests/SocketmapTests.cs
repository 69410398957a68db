using Rookery.Testing;
using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Rookery.Dagent.Socketmap;
using Rookery.Directory;

namespace Rookery.Dagent.Tests;

/// <summary>The netstring parser of Postfix's socketmap protocol: table-driven, bytes in, requests out.</summary>
public sealed class SocketmapProtocolTests
{
    static (SocketmapParse Outcome, SocketmapRequest? Request, long Consumed, string? Problem) Parse(string input, int maxLength = 100)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(input)));
        var outcome = SocketmapProtocol.TryParse(ref reader, maxLength, out var request, out var problem);
        return (outcome, request, reader.Consumed, problem);
    }

    [Theory]
    [InlineData("25:mailbox alice@example.com,", "mailbox", "alice@example.com")]
    [InlineData("6:alias ,", "alias", "")]
    [InlineData("16:group a b@c.test,", "group", "a b@c.test")]
    public void A_complete_netstring_is_one_request_split_at_the_first_space(string input, string map, string key)
    {
        var (outcome, request, consumed, _) = Parse(input);
        Assert.Equal(SocketmapParse.Request, outcome);
        Assert.Equal(new SocketmapRequest(map, key), request);
        Assert.Equal(Encoding.UTF8.GetByteCount(input), consumed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2")]
    [InlineData("25")]
    [InlineData("25:")]
    [InlineData("25:mailbox alice")]
    [InlineData("25:mailbox alice@example.com")]
    public void An_incomplete_netstring_needs_more_data_and_consumes_nothing(string input)
    {
        var (outcome, request, consumed, _) = Parse(input);
        Assert.Equal((SocketmapParse.NeedMoreData, null, 0L), (outcome, request, consumed));
    }

    [Theory]
    [InlineData(":mailbox x,", "without a length")]
    [InlineData("x5:abcde,", "length contains")]
    [InlineData("-5:abcde,", "length contains")]
    [InlineData("05:a b c,", "leading zero")]
    [InlineData("5:a b cd", "not terminated")]
    [InlineData("101:", "longer than 100")]
    [InlineData("99999999999999999999:", "longer than 100")]
    [InlineData("7:mailbox,", "not 'name key'")]
    [InlineData("2: x,", "not 'name key'")]
    public void A_malformed_or_oversized_netstring_is_refused(string input, string problem)
    {
        var (outcome, _, _, why) = Parse(input);
        Assert.Equal(SocketmapParse.Malformed, outcome);
        Assert.Contains(problem, why);
    }

    [Fact]
    public void A_request_that_is_not_utf8_is_refused()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>([.. "3:a "u8, 0xff, (byte)',']));
        Assert.Equal(SocketmapParse.Malformed, SocketmapProtocol.TryParse(ref reader, 100, out _, out _));
    }

    [Theory]
    [InlineData(SocketmapStatus.Ok, "alice@example.com", "20:OK alice@example.com,")]
    [InlineData(SocketmapStatus.NotFound, "", "9:NOTFOUND ,")]
    [InlineData(SocketmapStatus.Temp, "try later", "14:TEMP try later,")]
    [InlineData(SocketmapStatus.Timeout, "slow", "12:TIMEOUT slow,")]
    [InlineData(SocketmapStatus.Perm, "no", "7:PERM no,")]
    public void Replies_are_netstrings_of_status_space_text(SocketmapStatus status, string text, string wire) =>
        Assert.Equal(wire, Encoding.UTF8.GetString(SocketmapProtocol.Encode(new SocketmapReply(status, text))));

    [Fact]
    public void A_reply_longer_than_postfix_accepts_becomes_perm() =>
        Assert.StartsWith("PERM ", Encoding.UTF8.GetString(SocketmapProtocol.Encode(SocketmapReply.Ok(new string('a', 100_001)))).Split(':', 2)[1]);
}

/// <summary>Socketmap sessions against the db plugin, as transcripts of request and reply payloads.</summary>
public sealed class SocketmapSessionTests : IAsyncLifetime
{
    DeliveryHarness harness = null!;

    public async Task InitializeAsync()
    {
        harness = await DeliveryHarness.CreateAsync();
        await harness.Repository.CreateGroupAsync("staff", "staff@example.com", "");
        await harness.Repository.AddGroupMemberAsync("staff", "db", "alice");
        await harness.Repository.AddGroupMemberAsync("staff", "db", "bob");
        await harness.Repository.CreateGroupAsync("empty", "empty@example.com", "");
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    /// <summary>
    /// Runs a transcript: <c>C: payload</c> sends a request netstring (consecutive C: lines in one
    /// write), <c>C! bytes</c> sends raw bytes, <c>S: payload</c> expects one reply netstring (a trailing
    /// * matches any rest) and <c>S: &lt;closed&gt;</c> expects the server to close the connection.
    /// </summary>
    static async Task RunAsync(IUserDirectory directory, string script, SocketmapLimits? limits = null, bool expandGroups = false)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var session = new SocketmapSession(new DuplexPipe(toServer.Reader, toClient.Writer), new PostfixMaps(directory, expandGroups), limits ?? new SocketmapLimits());
        var running = session.RunAsync(CancellationToken.None);
        var replies = toClient.Reader.AsStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var pending = new List<byte>();
        foreach (var raw in script.Split('\n'))
        {
            var line = raw.TrimEnd('\r'); // trailing spaces count: "NOTFOUND " ends with one
            if (line.Trim().Length == 0)
                continue;
            if (line.StartsWith("C: ", StringComparison.Ordinal))
            {
                pending.AddRange(SocketmapProtocol.Netstring(Encoding.UTF8.GetBytes(line[3..])));
                continue;
            }
            if (line.StartsWith("C! ", StringComparison.Ordinal))
            {
                pending.AddRange(Encoding.UTF8.GetBytes(line[3..]));
                continue;
            }
            Assert.StartsWith("S: ", line);
            if (pending.Count > 0)
            {
                await toServer.Writer.WriteAsync(pending.ToArray(), timeout.Token);
                pending.Clear();
            }
            var expected = line[3..];
            var actual = await ReadReplyAsync(replies, timeout.Token);
            if (expected == "<closed>")
                Assert.True(actual is null, $"expected the connection to close, got '{actual}'");
            else if (expected.EndsWith('*'))
                Assert.StartsWith(expected[..^1], actual ?? "<closed>");
            else
                Assert.Equal(expected, actual ?? "<closed>");
        }
        await toServer.Writer.CompleteAsync();
        await running.WaitAsync(timeout.Token);
    }

    /// <summary>One reply netstring's payload, or null at the end of the stream.</summary>
    static async Task<string?> ReadReplyAsync(Stream stream, CancellationToken cancellationToken)
    {
        var length = 0;
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
                return null;
            if (one[0] == ':')
                break;
            Assert.InRange(one[0], (byte)'0', (byte)'9');
            length = length * 10 + (one[0] - '0');
        }
        var payload = new byte[length + 1];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        Assert.Equal((byte)',', payload[^1]);
        return Encoding.UTF8.GetString(payload, 0, length);
    }

    [Fact]
    public Task Mailbox_answers_known_addresses_and_aliases_with_the_primary_address_and_nothing_else() =>
        RunAsync(harness.Directory, """
            C: mailbox alice@example.com
            S: OK alice@example.com
            C: mailbox ALICE@Example.COM
            S: OK alice@example.com
            C: mailbox a.liddell@example.com
            S: OK alice@example.com
            C: mailbox shared@example.com
            S: OK shared@example.com
            C: mailbox nobody@example.com
            S: NOTFOUND 
            C: mailbox alice
            S: NOTFOUND 
            C: mailbox @example.com
            S: NOTFOUND 
            C: mailbox staff@example.com
            S: NOTFOUND 
            """);

    [Fact]
    public Task Alias_rewrites_an_alias_to_its_primary_address_and_leaves_primary_addresses_alone() =>
        RunAsync(harness.Directory, """
            C: alias a.liddell@example.com
            S: OK alice@example.com
            C: alias alice@example.com
            S: NOTFOUND 
            C: alias nobody@example.com
            S: NOTFOUND 
            C: alias @example.com
            S: NOTFOUND 
            """);

    [Fact]
    public Task Group_expands_to_the_members_addresses_and_an_empty_group_is_not_found() =>
        RunAsync(harness.Directory, """
            C: group staff@example.com
            S: OK alice@example.com,bob@example.com
            C: group STAFF@example.com
            S: OK alice@example.com,bob@example.com
            C: group empty@example.com
            S: NOTFOUND 
            C: group alice@example.com
            S: NOTFOUND 
            """);

    [Fact]
    public Task With_expand_groups_a_group_address_is_a_mailbox_and_postfix_is_not_given_its_members() =>
        RunAsync(harness.Directory, """
            C: mailbox staff@example.com
            S: OK staff@example.com
            C: group staff@example.com
            S: NOTFOUND 
            C: mailbox alice@example.com
            S: OK alice@example.com
            C: mailbox nobody@example.com
            S: NOTFOUND 
            """, expandGroups: true);

    [Fact]
    public Task Pipelined_requests_get_their_replies_in_order_and_an_unknown_map_is_perm() =>
        RunAsync(harness.Directory, """
            C: mailbox bob@example.com
            C: virtual bob@example.com
            C: alias a.liddell@example.com
            S: OK bob@example.com
            S: PERM no map named virtual*
            S: OK alice@example.com
            """);

    [Fact]
    public Task A_request_split_over_writes_is_answered_once_complete() =>
        RunAsync(harness.Directory, """
            C! 25:mailbox ali
            C! ce@example.com,
            S: OK alice@example.com
            """);

    [Fact]
    public Task A_bad_netstring_closes_the_connection_after_the_replies_before_it() =>
        RunAsync(harness.Directory, """
            C: mailbox bob@example.com
            C! 5:abc
            S: OK bob@example.com
            C! de;
            S: <closed>
            """);

    [Fact]
    public Task An_oversized_request_closes_the_connection_without_reading_it() =>
        RunAsync(harness.Directory, """
            C! 5000:mailbox
            S: <closed>
            """, new SocketmapLimits { MaxRequestLength = 1000 });

    [Fact]
    public Task An_idle_connection_is_closed() =>
        RunAsync(harness.Directory, """
            C: mailbox bob@example.com
            S: OK bob@example.com
            S: <closed>
            """, new SocketmapLimits { IdleTimeout = TimeSpan.FromMilliseconds(200) });

    [Fact]
    public Task A_directory_that_cannot_be_asked_answers_temp_and_the_connection_stays_usable() =>
        RunAsync(new UnavailableDirectory(), """
            C: mailbox alice@example.com
            S: TEMP user directory unavailable
            C: alias a.liddell@example.com
            S: TEMP user directory unavailable
            C: group staff@example.com
            S: TEMP user directory unavailable
            C: mailbox alice
            S: NOTFOUND 
            """);

    /// <summary>A user plugin whose server is down: every lookup throws, as LdapUserDirectory's do.</summary>
    sealed class UnavailableDirectory : IUserDirectory
    {
        static Exception Down() => new DirectoryUnavailableException("no LDAP server answers");
        public string Name => "ldap";
        public Task<AuthenticationResult> AuthenticateAsync(string login, string password, CancellationToken cancellationToken = default) =>
            Task.FromResult(new AuthenticationResult(AuthenticationOutcome.Unavailable, null));
        public Task<UserAccount?> FindUserAsync(string login, CancellationToken cancellationToken = default) => throw Down();
        public Task<UserAccount?> FindByAddressAsync(string address, CancellationToken cancellationToken = default) => throw Down();
        public Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default) => throw Down();
        public Task<UserAccount?> FindByStoreOwnerAsync(string storeOwner, CancellationToken cancellationToken = default) => throw Down();
        public Task<IReadOnlyList<GroupInfo>> ListGroupsAsync(CancellationToken cancellationToken = default) => throw Down();
    }
}
