using System.Text;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

/// <summary>Events, tasks and contacts: the fields kept in columns, UID lookups and time-range queries.</summary>
public sealed class ItemFieldsTests : IAsyncLifetime
{
    TestDatabase test = null!;
    SqlMailStore store = null!;
    StoreInfo alice = null!;
    FolderInfo calendar = null!, contacts = null!, tasks = null!;

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        store = test.CreateStore();
        alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var folders = await store.ListFoldersAsync(alice.Id);
        calendar = folders.Single(f => f.SpecialUse == SpecialUse.Calendar);
        contacts = folders.Single(f => f.SpecialUse == SpecialUse.Contacts);
        tasks = folders.Single(f => f.SpecialUse == SpecialUse.Tasks);
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    static string Calendar(params string[] components) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + string.Concat(components.Select(c => c.ReplaceLineEndings("\r\n").Trim() + "\r\n")) + "END:VCALENDAR\r\n";

    static string Event(string uid, string lines) => $"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\n{lines.Trim()}\nEND:VEVENT";

    async Task<StoredItem> PutAsync(FolderInfo folder, string name, string text, ItemKind kind = ItemKind.Event)
    {
        using var staged = await store.StageAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        return (await store.PutItemAsync(folder.Id, name, new ItemContent(kind, staged), WriteCondition.None)).Item!;
    }

    async Task<string[]> InRangeAsync(string from, string to, TimeZoneInfo? zone = null, FolderInfo? folder = null) =>
        [.. (await store.ListInTimeRangeAsync((folder ?? calendar).Id, DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture), zone)).Select(i => i.ResourceName).Order(StringComparer.Ordinal)];

    async Task AddSampleCalendarAsync()
    {
        await PutAsync(calendar, "single.ics", Calendar(Event("single", "DTSTART:20260310T090000Z\nDTEND:20260310T100000Z\nSUMMARY:Dentist")));
        await PutAsync(calendar, "zoned.ics", Calendar(
            "BEGIN:VTIMEZONE\nTZID:Europe/Amsterdam\nBEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\n" +
            "BEGIN:DAYLIGHT\nDTSTART:19700329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\nEND:VTIMEZONE",
            Event("zoned", "DTSTART;TZID=Europe/Amsterdam:20260701T090000\nDTEND;TZID=Europe/Amsterdam:20260701T100000")));
        // weekly on Mondays for ever, with the 2026-03-16 instance moved to Wednesday and the 2026-03-23 one cancelled
        await PutAsync(calendar, "weekly.ics", Calendar(
            Event("weekly", "DTSTART:20260302T080000Z\nDTEND:20260302T083000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO\nEXDATE:20260323T080000Z"),
            Event("weekly", "RECURRENCE-ID:20260316T080000Z\nDTSTART:20260318T150000Z\nDTEND:20260318T160000Z")));
        await PutAsync(calendar, "counted.ics", Calendar(Event("counted", "DTSTART:20260105T120000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3")));
        await PutAsync(calendar, "allday.ics", Calendar(Event("allday", "DTSTART;VALUE=DATE:20260420\nDTEND;VALUE=DATE:20260421")));
        await PutAsync(calendar, "floating.ics", Calendar(Event("floating", "DTSTART:20260501T090000\nDTEND:20260501T100000")));
        await PutAsync(calendar, "future.ics", Calendar(Event("future", "DTSTART:20450101T000000Z\nDTEND:20450101T010000Z")));
    }

    [Fact]
    public async Task A_time_range_finds_single_zoned_counted_and_far_future_events()
    {
        await AddSampleCalendarAsync();
        Assert.Equal(["single.ics"], await InRangeAsync("2026-03-10T00:00Z", "2026-03-11T00:00Z")); // a Tuesday: no weekly instance
        Assert.Equal(["single.ics", "weekly.ics"], await InRangeAsync("2026-03-09T00:00Z", "2026-03-11T00:00Z"));
        Assert.Equal(["single.ics"], await InRangeAsync("2026-03-10T09:59Z", "2026-03-10T10:30Z"));
        Assert.Empty(await InRangeAsync("2026-03-10T10:00Z", "2026-03-10T10:30Z")); // the end is exclusive
        // 09:00 in Amsterdam in July is 07:00 UTC
        Assert.Equal(["zoned.ics"], await InRangeAsync("2026-07-01T07:00Z", "2026-07-01T07:30Z"));
        Assert.Empty(await InRangeAsync("2026-07-01T09:00Z", "2026-07-01T09:30Z"));
        Assert.Equal(["counted.ics"], await InRangeAsync("2026-01-07T12:30Z", "2026-01-07T13:00Z"));
        Assert.Empty(await InRangeAsync("2026-01-08T12:00Z", "2026-01-09T00:00Z")); // COUNT=3 ended on the 7th
        Assert.Equal(["future.ics"], await InRangeAsync("2044-12-31T00:00Z", "2045-01-02T00:00Z")); // past 2038
    }

    [Fact]
    public async Task A_recurring_event_is_found_by_its_instances_with_exceptions_applied()
    {
        await AddSampleCalendarAsync();
        Assert.Equal(["weekly.ics"], await InRangeAsync("2026-03-09T08:00Z", "2026-03-09T08:10Z"));
        Assert.Empty(await InRangeAsync("2026-03-16T07:00Z", "2026-03-16T09:00Z"));   // that Monday's instance moved
        Assert.Equal(["weekly.ics"], await InRangeAsync("2026-03-18T15:30Z", "2026-03-18T15:45Z")); // to Wednesday afternoon
        Assert.Empty(await InRangeAsync("2026-03-23T07:00Z", "2026-03-23T09:00Z"));   // cancelled by EXDATE
        Assert.Equal(["weekly.ics"], await InRangeAsync("2031-06-02T08:00Z", "2031-06-02T08:30Z")); // open-ended
        Assert.Empty(await InRangeAsync("2031-06-03T08:00Z", "2031-06-03T08:30Z"));   // a Tuesday
        Assert.Empty(await InRangeAsync("2026-02-23T08:00Z", "2026-02-23T08:30Z"));   // before the first
    }

    [Fact]
    public async Task All_day_and_floating_events_are_read_in_the_zone_the_reader_gives()
    {
        await AddSampleCalendarAsync();
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        // 2026-04-20 is one whole day wherever the reader is
        Assert.Equal(["allday.ics"], await InRangeAsync("2026-04-20T12:00Z", "2026-04-20T13:00Z"));
        Assert.Equal(["allday.ics"], await InRangeAsync("2026-04-19T16:00Z", "2026-04-19T17:00Z", tokyo)); // already the 20th in Tokyo
        Assert.Empty(await InRangeAsync("2026-04-19T16:00Z", "2026-04-19T17:00Z"));
        Assert.Empty(await InRangeAsync("2026-04-20T16:00Z", "2026-04-20T17:00Z", tokyo)); // the 21st there
        // 09:00-10:00 floating: 13:00-14:00 UTC for a reader in New York (EDT)
        Assert.Equal(["floating.ics"], await InRangeAsync("2026-05-01T13:30Z", "2026-05-01T13:40Z", newYork));
        Assert.Empty(await InRangeAsync("2026-05-01T09:30Z", "2026-05-01T09:40Z", newYork));
        Assert.Equal(["floating.ics"], await InRangeAsync("2026-05-01T09:30Z", "2026-05-01T09:40Z"));
    }

    [Fact]
    public async Task Tasks_are_found_by_their_dates_and_a_task_without_dates_always()
    {
        await PutAsync(tasks, "due.ics", Calendar("BEGIN:VTODO\nUID:t1\nDTSTAMP:20260101T000000Z\nDUE:20260601T170000Z\nSUMMARY:Report\nEND:VTODO"), ItemKind.Task);
        await PutAsync(tasks, "undated.ics", Calendar("BEGIN:VTODO\nUID:t2\nDTSTAMP:20260101T000000Z\nSUMMARY:Someday\nEND:VTODO"), ItemKind.Task);
        Assert.Equal(["due.ics", "undated.ics"], await InRangeAsync("2026-06-01T00:00Z", "2026-06-02T00:00Z", folder: tasks));
        Assert.Equal(["undated.ics"], await InRangeAsync("2027-01-01T00:00Z", "2027-01-02T00:00Z", folder: tasks));
    }

    [Fact]
    public async Task Uids_are_looked_up_kept_unique_in_a_folder_and_follow_replace_move_and_expunge()
    {
        var first = await PutAsync(calendar, "a.ics", Calendar(Event("same-uid@example.com", "DTSTART:20260310T090000Z")));
        Assert.Equal([first.Id], (await store.FindByUidAsync(calendar.Id, "same-uid@example.com")).Select(i => i.Id));
        Assert.Empty(await store.FindByUidAsync(calendar.Id, "other"));

        var conflict = await Assert.ThrowsAsync<ItemUidConflictException>(() => PutAsync(calendar, "b.ics", Calendar(Event("same-uid@example.com", "DTSTART:20260311T090000Z"))));
        Assert.Equal("a.ics", conflict.ResourceName);
        Assert.Null(await store.FindItemAsync(calendar.Id, "b.ics"));

        // replacing the item that holds the UID is fine, and a new UID replaces the old in the lookup
        await PutAsync(calendar, "a.ics", Calendar(Event("same-uid@example.com", "DTSTART:20260312T090000Z")));
        await PutAsync(calendar, "a.ics", Calendar(Event("renamed-uid", "DTSTART:20260312T090000Z")));
        Assert.Empty(await store.FindByUidAsync(calendar.Id, "same-uid@example.com"));
        Assert.Single(await store.FindByUidAsync(calendar.Id, "renamed-uid"));

        // a very long UID is looked up by its hash
        var longUid = new string('u', 400);
        var big = await PutAsync(calendar, "long.ics", Calendar(Event(longUid, "DTSTART:20260312T090000Z")));
        Assert.Equal([big.Id], (await store.FindByUidAsync(calendar.Id, longUid)).Select(i => i.Id));

        // moved (as IMAP moves) to another calendar, the fields go along; expunged, they go
        var other = await store.CreateFolderAsync(alice.Id, null, "Work", ContainerClass.Calendar);
        await store.MoveItemsAsync(calendar.Id, [first.Uid], other.Id);
        Assert.Empty(await store.FindByUidAsync(calendar.Id, "renamed-uid"));
        var moved = Assert.Single(await store.FindByUidAsync(other.Id, "renamed-uid"));
        Assert.Equal(("a.ics", ItemKind.Event), (moved.ResourceName, moved.Kind));
        Assert.Equal(["a.ics"], await InRangeAsync("2026-03-12T00:00Z", "2026-03-13T00:00Z", folder: other));
        await store.ExpungeAsync(other.Id, [moved.Uid]);
        Assert.Empty(await store.FindByUidAsync(other.Id, "renamed-uid"));
        Assert.Empty(await InRangeAsync("2026-03-12T00:00Z", "2026-03-13T00:00Z", folder: other));
    }

    [Fact]
    public async Task A_copy_keeps_kind_and_fields_and_takes_a_new_name_where_its_own_is_taken()
    {
        var other = await store.CreateFolderAsync(alice.Id, null, "Work", ContainerClass.Calendar);
        var original = await PutAsync(calendar, "a.ics", Calendar(Event("u1", "DTSTART:20260310T090000Z")));
        await PutAsync(other, "a.ics", Calendar(Event("u2", "DTSTART:20260310T090000Z")));
        var copied = await store.CopyItemsAsync(calendar.Id, [original.Uid], other.Id);

        var copy = Assert.Single(await store.FindByUidAsync(other.Id, "u1"));
        Assert.Equal((ItemKind.Event, "text/calendar", copied.Mappings[0].TargetUid), (copy.Kind, copy.ContentType, copy.Uid));
        Assert.Equal(Items.GeneratedName(copy.Id), copy.ResourceName);
        Assert.Single(await store.FindByUidAsync(calendar.Id, "u1"));
    }

    [Fact]
    public async Task Content_that_is_not_of_its_kind_is_refused()
    {
        await Assert.ThrowsAsync<ItemContentException>(() => PutAsync(calendar, "x.ics", "not a calendar"));
        await Assert.ThrowsAsync<ItemContentException>(() => PutAsync(calendar, "x.ics", Calendar("BEGIN:VTODO\nUID:t\nEND:VTODO")));  // no VEVENT
        await Assert.ThrowsAsync<ItemContentException>(() => PutAsync(calendar, "x.ics",
            Calendar(Event("one", "DTSTART:20260310T090000Z"), Event("two", "DTSTART:20260311T090000Z"))));
        await Assert.ThrowsAsync<ItemContentException>(() => PutAsync(contacts, "x.vcf", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", ItemKind.Contact));
        await Assert.ThrowsAsync<ItemContentException>(() => PutAsync(contacts, "x.vcf", "BEGIN:VCARD\r\nFN:A\r\n", ItemKind.Contact));
        Assert.Empty(await store.ListFolderItemsAsync(calendar.Id));
        Assert.Empty(await store.ListFolderItemsAsync(contacts.Id));
    }

    [Fact]
    public async Task A_contact_is_found_by_its_uid()
    {
        var card = await PutAsync(contacts, "bob.vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:4fbe8971\r\nFN:Bob\r\nEND:VCARD\r\n", ItemKind.Contact);
        Assert.Equal([card.Id], (await store.FindByUidAsync(contacts.Id, "urn:uuid:4fbe8971")).Select(i => i.Id));
        await Assert.ThrowsAsync<ItemUidConflictException>(() =>
            PutAsync(contacts, "bob2.vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:4fbe8971\r\nFN:Bob again\r\nEND:VCARD\r\n", ItemKind.Contact));
        // vCard 3.0 needs no UID
        await PutAsync(contacts, "carol.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Carol\r\nEND:VCARD\r\n", ItemKind.Contact);
        await PutAsync(contacts, "dave.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Dave\r\nEND:VCARD\r\n", ItemKind.Contact);
        Assert.Equal(3, (await store.ListFolderItemsAsync(contacts.Id)).Count);
    }
}

public sealed class FieldExtractionTests
{
    [Fact]
    public void A_vcard_gives_uid_name_addresses_phones_and_organisation()
    {
        var fields = ContactFields.Extract(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:abc-1\r\nFN:Dr. Jane\r\n  Doe\r\nN:Doe;Jane;;Dr.;\r\nORG:Example\\, Inc.;Research\r\n" +
            "item1.EMAIL;TYPE=INTERNET,pref:jane@example.com\r\nEMAIL;TYPE=\"work:home\":jd@example.org\r\nTEL;TYPE=CELL:+31 6 1234 5678\r\n" +
            "NOTE:line one\\nline two\r\nEND:VCARD\r\n");
        Assert.Equal("abc-1", fields.Uid);
        Assert.Equal("Dr. Jane Doe", fields.FormattedName);
        Assert.Equal(["jane@example.com", "jd@example.org"], fields.Emails);
        Assert.Equal(["+31 6 1234 5678"], fields.Phones);
        Assert.Equal("Example, Inc., Research", fields.Organization);
    }

    [Fact]
    public void A_vcard_2_1_with_quoted_printable_is_decoded()
    {
        var fields = ContactFields.Extract(
            "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg M=\r\n=C3=BCller\r\nTEL;HOME:123\r\nEND:VCARD\r\n");
        Assert.Equal("Jörg Müller", fields.FormattedName);
        Assert.Null(fields.Uid);
        Assert.Equal(["123"], fields.Phones);
    }

    [Fact]
    public void Bounds_of_recurring_and_floating_events()
    {
        static string Cal(string body) => $"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n";
        var open = CalendarFields.Extract(Cal("DTSTART:20260302T080000Z\r\nDTEND:20260302T083000Z\r\nRRULE:FREQ=WEEKLY\r\n"), ItemKind.Event);
        Assert.Equal((true, false, DateTimeOffset.Parse("2026-03-02T08:00Z", System.Globalization.CultureInfo.InvariantCulture), (DateTimeOffset?)null),
            (open.Recurs, open.Floating, open.Start!.Value, open.End));
        var until = CalendarFields.Extract(Cal("DTSTART:20260302T080000Z\r\nDTEND:20260302T083000Z\r\nRRULE:FREQ=DAILY;UNTIL=20260305T080000Z\r\n"), ItemKind.Event);
        Assert.Equal(DateTimeOffset.Parse("2026-03-05T08:30Z", System.Globalization.CultureInfo.InvariantCulture), until.End);
        var allDay = CalendarFields.Extract(Cal("DTSTART;VALUE=DATE:20260420\r\n"), ItemKind.Event);
        Assert.True(allDay.Floating);
        Assert.Equal(DateTimeOffset.Parse("2026-04-20T00:00Z", System.Globalization.CultureInfo.InvariantCulture) - CalendarFields.FloatingSlack, allDay.Start);
        Assert.Equal(DateTimeOffset.Parse("2026-04-21T00:00Z", System.Globalization.CultureInfo.InvariantCulture) + CalendarFields.FloatingSlack, allDay.End);
        Assert.False(CalendarFields.Extract(Cal("DTSTART:20260420T100000Z\r\n"), ItemKind.Event).NeedsExpansion);
    }
}
