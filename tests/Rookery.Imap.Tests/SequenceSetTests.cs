using Rookery.Imap.Protocol;

namespace Rookery.Imap.Tests;

public sealed class SequenceSetTests
{
    [Theory]
    [InlineData("1", 10, new long[] { 1 })]
    [InlineData("2:4,7", 10, new long[] { 2, 3, 4, 7 })]
    [InlineData("8:*", 10, new long[] { 8, 9, 10 })]
    [InlineData("*:8", 10, new long[] { 8, 9, 10 })]
    [InlineData("*", 10, new long[] { 10 })]
    [InlineData("12:*", 10, new long[] { 10 })] // n:* with n past the end still means the last one
    [InlineData("4:2", 10, new long[] { 2, 3, 4 })]
    public void Sets_contain_what_they_say(string text, long largest, long[] expected)
    {
        Assert.True(SequenceSet.TryParse(text, out var set));
        Assert.Equal(expected, Enumerable.Range(1, 10).Select(i => (long)i).Where(i => set.Contains(i, largest)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("1,,2")]
    [InlineData("1:")]
    [InlineData("a")]
    [InlineData("01")]
    [InlineData("4294967296")]
    [InlineData("1:2:3")]
    public void Malformed_sets_are_refused(string text) => Assert.False(SequenceSet.TryParse(text, out _));

    [Fact]
    public void Dollar_is_the_saved_search_result() => Assert.True(SequenceSet.TryParse("$", out var set) && set.IsSavedResult);

    [Fact]
    public void A_huge_range_is_not_expanded()
    {
        Assert.True(SequenceSet.TryParse("1:4294967295", out var set));
        Assert.True(set.Contains(4_000_000_000, 5));
        Assert.Single(set.Ranges);
    }
}
