using System.Text;
using Rookery.Dav.Protocol;

namespace Rookery.Dav.Tests;

/// <summary>Request bodies read defensively and parsed as WebDAV defines them; multistatus bodies written exactly.</summary>
public sealed class DavXmlTests
{
    static ReadOnlyMemory<byte> Body(string xml) => Encoding.UTF8.GetBytes(xml);

    [Fact]
    public void A_propfind_names_its_properties_in_their_namespaces()
    {
        var request = PropfindRequest.Parse(Body("""
            <?xml version="1.0" encoding="utf-8"?>
            <d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">
              <d:prop><d:resourcetype/><d:getetag/><c:calendar-home-set/><cs:getctag/><d:getetag/></d:prop>
            </d:propfind>
            """));
        Assert.Equal(PropfindKind.Prop, request.Kind);
        Assert.Equal([DavNames.Dav + "resourcetype", DavNames.Dav + "getetag", DavNames.CalDav + "calendar-home-set", DavNames.CalendarServer + "getctag"], request.Properties);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \r\n")]
    public void An_empty_propfind_body_asks_for_all_properties(string body)
    {
        var request = PropfindRequest.Parse(Body(body));
        Assert.Equal(PropfindKind.AllProp, request.Kind);
        Assert.Empty(request.Properties);
    }

    [Fact]
    public void Allprop_takes_its_include_and_propname_asks_for_names()
    {
        var all = PropfindRequest.Parse(Body("""<propfind xmlns="DAV:"><allprop/><include><supported-report-set/></include></propfind>"""));
        Assert.Equal(PropfindKind.AllProp, all.Kind);
        Assert.Equal([DavNames.Dav + "supported-report-set"], all.Properties);
        Assert.Equal(PropfindKind.PropName, PropfindRequest.Parse(Body("""<propfind xmlns="DAV:"><propname/></propfind>""")).Kind);
    }

    [Theory]
    [InlineData("""<propfind xmlns="DAV:"><prop><getetag/></prop>""")] // not well-formed
    [InlineData("""<propfind><prop><getetag/></prop></propfind>""")] // no DAV: namespace
    [InlineData("""<propfind xmlns="DAV:"><prop/><allprop/></propfind>""")] // two choices
    [InlineData("""<propfind xmlns="DAV:"/>""")] // none
    [InlineData("""<propertyupdate xmlns="DAV:"/>""")] // another request's body
    public void A_body_that_is_not_a_propfind_is_400(string body)
    {
        var refused = Assert.Throws<DavRequestException>(() => PropfindRequest.Parse(Body(body)));
        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public void A_body_with_a_dtd_is_refused_and_no_entity_is_expanded()
    {
        // "billion laughs": expanded, it would be gigabytes
        var laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
              <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
            <d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&lol3;</d:displayname></d:prop></d:propfind>
            """;
        Assert.Equal(400, Assert.Throws<DavRequestException>(() => DavXml.Parse(Body(laughs))).Status);
        // an external entity: never fetched, never read
        var external = """
            <?xml version="1.0"?>
            <!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
            <d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&secret;</d:displayname></d:prop></d:propfind>
            """;
        var refused = Assert.Throws<DavRequestException>(() => DavXml.Parse(Body(external)));
        Assert.Equal(400, refused.Status);
        Assert.DoesNotContain("root:", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_and_size_are_bounded()
    {
        var deep = string.Concat(Enumerable.Repeat("<d:x>", 100)) + string.Concat(Enumerable.Repeat("</d:x>", 100));
        var body = $"""<d:propfind xmlns:d="DAV:"><d:prop>{deep}</d:prop></d:propfind>""";
        Assert.Equal(400, Assert.Throws<DavRequestException>(() => DavXml.Parse(Body(body))).Status);
        Assert.NotNull(DavXml.Parse(Body(body), new DavXmlLimits { MaxDepth = 200 }).Root);

        var big = $"""<d:propfind xmlns:d="DAV:"><d:prop><d:displayname>{new string('x', 5000)}</d:displayname></d:prop></d:propfind>""";
        Assert.Equal(400, Assert.Throws<DavRequestException>(() => DavXml.Parse(Body(big), new DavXmlLimits { MaxCharacters = 4000 })).Status);
    }

    [Theory]
    [InlineData(null, DavDepth.Infinity)]
    [InlineData("0", DavDepth.Zero)]
    [InlineData(" 1 ", DavDepth.One)]
    [InlineData("Infinity", DavDepth.Infinity)]
    public void Depth_is_0_1_or_infinity(string? header, DavDepth depth) => Assert.Equal(depth, DepthHeader.Parse(header));

    [Fact]
    public void Other_depths_are_400_and_an_infinite_propfind_is_403_with_its_precondition()
    {
        Assert.Equal(400, Assert.Throws<DavRequestException>(() => DepthHeader.Parse("2")).Status);
        var infinite = Assert.Throws<DavRequestException>(() => DepthHeader.ForPropfind(null));
        Assert.Equal(403, infinite.Status);
        Assert.Equal(DavNames.Dav + "propfind-finite-depth", infinite.Precondition);
        Assert.Equal(DavDepth.One, DepthHeader.ForPropfind("1"));
        Assert.Equal("""<?xml version="1.0" encoding="utf-8"?><d:error xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/" xmlns:ical="http://apple.com/ns/ical/"><d:propfind-finite-depth /></d:error>""",
            Encoding.UTF8.GetString(Multistatus.Error(infinite.Precondition!)));
    }

    [Fact]
    public void A_multistatus_groups_each_resources_properties_by_status()
    {
        var body = Multistatus.Write(
        [
            new DavResponse("/dav/calendars/alice/work/", [
                new DavProperty(DavNames.Dav + "resourcetype", new object[] { new System.Xml.Linq.XElement(DavNames.Dav + "collection"), new System.Xml.Linq.XElement(DavNames.CalDav + "calendar") }),
                new DavProperty(DavNames.CalendarServer + "getctag", "\"42\""),
                DavProperty.NotFound(DavNames.Dav + "getcontentlength"),
            ]),
            new DavResponse("/dav/calendars/alice/work/gone.ics", []) { Status = 404 },
        ], syncToken: "http://rookery.example/sync/7");
        Assert.Equal(
            """<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/" xmlns:ical="http://apple.com/ns/ical/">""" +
            """<d:response><d:href>/dav/calendars/alice/work/</d:href><d:propstat><d:prop><d:resourcetype><d:collection /><cal:calendar /></d:resourcetype><cs:getctag>"42"</cs:getctag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>""" +
            """<d:propstat><d:prop><d:getcontentlength /></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat></d:response>""" +
            """<d:response><d:href>/dav/calendars/alice/work/gone.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>""" +
            """<d:sync-token>http://rookery.example/sync/7</d:sync-token></d:multistatus>""",
            Encoding.UTF8.GetString(body));
    }
}

/// <summary>PROPPATCH and REPORT bodies.</summary>
public sealed class DavRequestTests
{
    static ReadOnlyMemory<byte> Body(string xml) => Encoding.UTF8.GetBytes(xml);

    [Fact]
    public void A_proppatch_keeps_its_sets_and_removes_in_document_order()
    {
        var updates = ProppatchRequest.Parse(Body("""
            <d:propertyupdate xmlns:d="DAV:" xmlns:ical="http://apple.com/ns/ical/">
              <d:set><d:prop><d:displayname>Work</d:displayname><ical:calendar-color>#FF0000</ical:calendar-color></d:prop></d:set>
              <d:remove><d:prop><d:displayname/></d:prop></d:remove>
            </d:propertyupdate>
            """));
        Assert.Equal([(DavNames.Dav + "displayname", false), (DavNames.Apple + "calendar-color", false), (DavNames.Dav + "displayname", true)],
            updates.Select(u => (u.Name, u.IsRemoval)));
        Assert.Equal("#FF0000", updates[1].Value!.Value);
    }

    [Theory]
    [InlineData("""<d:propertyupdate xmlns:d="DAV:"/>""")]
    [InlineData("""<d:propertyupdate xmlns:d="DAV:"><d:change><d:prop><d:displayname/></d:prop></d:change></d:propertyupdate>""")]
    [InlineData("""<d:propertyupdate xmlns:d="DAV:"><d:set/></d:propertyupdate>""")]
    [InlineData("""<d:propfind xmlns:d="DAV:"><d:allprop/></d:propfind>""")]
    public void A_proppatch_that_changes_nothing_or_says_something_else_is_400(string body) =>
        Assert.Equal(400, Assert.Throws<DavRequestException>(() => ProppatchRequest.Parse(Body(body))).Status);

    [Fact]
    public void A_sync_collection_gives_its_token_level_limit_and_properties()
    {
        var first = Assert.IsType<SyncCollectionReport>(ReportRequest.Parse(Body("""
            <d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:sync-collection>
            """)));
        Assert.Equal(("", false, (int?)null), (first.Token, first.Infinite, first.Limit));
        Assert.Equal([DavNames.Dav + "getetag", DavNames.Dav + "getcontenttype"], first.Properties);

        var next = Assert.IsType<SyncCollectionReport>(ReportRequest.Parse(Body("""
            <sync-collection xmlns="DAV:"><sync-token> http://rookery/sync/12 </sync-token><sync-level>infinite</sync-level><limit><nresults>100</nresults></limit></sync-collection>
            """)));
        Assert.Equal(("http://rookery/sync/12", true, (int?)100), (next.Token, next.Infinite, next.Limit));
        Assert.Equal([DavNames.Dav + "getetag"], next.Properties);
    }

    [Fact]
    public void A_multiget_lists_its_hrefs_and_a_query_keeps_its_filter_for_its_parser()
    {
        var multiget = Assert.IsType<MultigetReport>(ReportRequest.Parse(Body("""
            <c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
              <d:prop><d:getetag/><c:calendar-data/></d:prop>
              <d:href>/dav/calendars/alice/work/a.ics</d:href><d:href>/dav/calendars/alice/work/b%20c.ics</d:href>
            </c:calendar-multiget>
            """)));
        Assert.Equal(["/dav/calendars/alice/work/a.ics", "/dav/calendars/alice/work/b%20c.ics"], multiget.Hrefs);
        Assert.Equal([DavNames.Dav + "getetag", DavNames.CalDav + "calendar-data"], multiget.Properties);

        var query = Assert.IsType<QueryReport>(ReportRequest.Parse(Body("""
            <c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop>
              <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="20261201T000000Z" end="20270101T000000Z"/></c:comp-filter></c:comp-filter></c:filter>
            </c:calendar-query>
            """)));
        Assert.Equal(DavNames.CalDav + "calendar-query", query.Report);
        Assert.NotNull(query.Body.Element(DavNames.CalDav + "filter"));
    }

    [Fact]
    public void An_unknown_report_is_403_supported_report_and_a_broken_one_400()
    {
        var unknown = Assert.Throws<DavRequestException>(() => ReportRequest.Parse(Body("""<d:expand-property xmlns:d="DAV:"/>""")));
        Assert.Equal((403, DavNames.Dav + "supported-report"), (unknown.Status, unknown.Precondition));
        Assert.Equal(400, Assert.Throws<DavRequestException>(() => ReportRequest.Parse(Body("""<d:sync-collection xmlns:d="DAV:"><d:sync-level>1</d:sync-level></d:sync-collection>"""))).Status);
        Assert.Equal(400, Assert.Throws<DavRequestException>(() => ReportRequest.Parse(Body("""<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>2</d:sync-level></d:sync-collection>"""))).Status);
        Assert.Equal(400, Assert.Throws<DavRequestException>(() => ReportRequest.Parse(Body("""<c:calendar-multiget xmlns:c="urn:ietf:params:xml:ns:caldav"/>"""))).Status);
    }
}
