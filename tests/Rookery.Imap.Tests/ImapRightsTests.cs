using Rookery.Store;

namespace Rookery.Imap.Tests;

public sealed class ImapRightsTests
{
    [Theory]
    [InlineData(FolderRoles.Owner, "lrswipkxtecda")]
    [InlineData(FolderRoles.PublishingEditor, "lrswipktecd")]
    [InlineData(FolderRoles.Editor, "lrswipted")]
    [InlineData(FolderRoles.PublishingAuthor, "lrsipkc")]
    [InlineData(FolderRoles.Author, "lrsip")]
    [InlineData(FolderRoles.NonEditingAuthor, "lrip")]
    [InlineData(FolderRoles.Reviewer, "lr")]
    [InlineData(FolderRoles.Contributor, "lip")]
    [InlineData(FolderRights.None, "")]
    public void The_original_s_roles_map_onto_rfc_4314_rights(FolderRights role, string imap) => Assert.Equal(imap, ImapRights.ToImap(role));

    [Theory]
    [InlineData("lrswipkxtea")]
    [InlineData("lrsip")]
    [InlineData("lr")]
    [InlineData("te")]
    [InlineData("xa")]
    [InlineData("")]
    public void Rights_survive_the_round_trip_through_the_store(string imap)
    {
        Assert.True(ImapRights.TryParse(imap, out var rights));
        var back = ImapRights.ToImap(rights);
        Assert.Equal(imap, back.Replace("c", "", StringComparison.Ordinal).Replace("d", "", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("c", "kxca")]
    [InlineData("d", "ted")]
    [InlineData("i", "ip")]
    [InlineData("a", "xca")]
    [InlineData("e", "ted")]
    public void Tied_and_obsolete_rights_come_back_with_their_partners(string given, string reported)
    {
        Assert.True(ImapRights.TryParse(given, out var rights));
        Assert.Equal(reported, ImapRights.ToImap(rights));
    }

    [Theory]
    [InlineData("z")]
    [InlineData("lrS")]
    [InlineData("1")]
    public void Letters_rfc_4314_does_not_define_are_refused(string given) => Assert.False(ImapRights.TryParse(given, out _));
}
