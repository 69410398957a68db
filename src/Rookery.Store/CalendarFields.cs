using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Evaluation;

namespace Rookery.Store;

/// <summary>
/// What the store keeps in columns of an event or a task (a calendar object resource: one UID, its master
/// component and its overridden instances), so that time-range queries and UID lookups read no content.
/// </summary>
public sealed record CalendarFields
{
    /// <summary>How far a floating or all-day time may lie from UTC: such items are bounded this much wider.</summary>
    public static readonly TimeSpan FloatingSlack = TimeSpan.FromHours(14);

    /// <summary>How many occurrences of a bounded rule are counted to find where it ends; past that it is taken as open-ended.</summary>
    const int MaxCountedOccurrences = 100_000;

    public required string Uid { get; init; }

    /// <summary>The earliest any instance may start; null: no bound (a task without dates).</summary>
    public DateTimeOffset? Start { get; init; }

    /// <summary>The latest any instance may end; null: open-ended (a rule without COUNT or UNTIL, or no dates).</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>Whether it has more than one instance (RRULE or RDATE): a time-range query must expand it.</summary>
    public bool Recurs { get; init; }

    /// <summary>Whether it has floating or all-day times: the bounds are widened by <see cref="FloatingSlack"/>, and a query evaluates it in the reader's zone.</summary>
    public bool Floating { get; init; }

    public string? Summary { get; init; }
    public string? Status { get; init; }
    public string? Class { get; init; }
    public string? Transparency { get; init; }
    public DateTimeOffset? Due { get; init; }
    public DateTimeOffset? Completed { get; init; }

    /// <summary>Whether a time-range query must open the content to decide: the bounds alone are exact only for a single, zoned instance.</summary>
    public bool NeedsExpansion => Recurs || Floating;

    /// <summary>
    /// Reads the fields of an iCalendar object of <paramref name="kind"/> (<see cref="ItemKind.Event"/>: VEVENTs,
    /// <see cref="ItemKind.Task"/>: VTODOs). Throws <see cref="ItemContentException"/> when it is not one
    /// calendar object resource (RFC 4791 4.1): not iCalendar, none of those components, or several UIDs.
    /// </summary>
    public static CalendarFields Extract(string text, ItemKind kind)
    {
        var calendar = Load(text);
        var components = Components(calendar, kind);
        if (components.Count == 0)
            throw new ItemContentException($"the calendar object holds no {(kind == ItemKind.Task ? "VTODO" : "VEVENT")}");
        var uid = components[0].Uid;
        if (string.IsNullOrEmpty(uid))
            throw new ItemContentException("a calendar object's component needs a UID");
        if (components.Any(c => c.Uid != uid))
            throw new ItemContentException("every component of a calendar object has the same UID");
        var master = components.FirstOrDefault(c => c.RecurrenceIdentifier is null) ?? components[0];
        var recurs = master.RecurrenceRule is not null || master.RecurrenceDates.GetAllDates().Any() || master.RecurrenceDates.GetAllPeriods().Any();
        var floating = components.Any(c => IsFloating(c));

        DateTimeOffset? start = null, end = null;
        var unbounded = false;
        foreach (var component in components)
        {
            var (s, e) = Span(component);
            if (s is null && e is null)
                unbounded = true;
            start = Min(start, s ?? e);
            end = Max(end, e ?? s);
        }
        if (recurs)
        {
            foreach (var date in master.RecurrenceDates.GetAllDates())
                start = Min(start, Instant(date));
            foreach (var period in master.RecurrenceDates.GetAllPeriods())
                start = Min(start, Instant(period.StartTime));
            end = LastEnd(master, end);
        }
        if (unbounded)
            (start, end) = (null, null);
        if (floating)
        {
            start -= FloatingSlack;
            end += FloatingSlack;
        }
        var todo = master as Todo;
        return new CalendarFields
        {
            Uid = uid,
            Start = start,
            End = end,
            Recurs = recurs,
            Floating = floating,
            Summary = Cut(master.Summary, 1000),
            Status = Cut(master is CalendarEvent ev ? ev.Status : todo?.Status, 32),
            Class = Cut(master.Class, 32),
            Transparency = Cut((master as CalendarEvent)?.Transparency, 32),
            Due = todo?.Due is { } due ? Instant(due) : null,
            Completed = todo?.Completed is { } completed ? Instant(completed) : null,
        };
    }

    /// <summary>
    /// Whether an instance of the calendar object overlaps [<paramref name="from"/>, <paramref name="to"/>) as
    /// RFC 4791 9.9 says, floating and all-day times taken in <paramref name="floatingZone"/> (UTC when null).
    /// </summary>
    public static bool Overlaps(string text, ItemKind kind, DateTimeOffset from, DateTimeOffset to, TimeZoneInfo? floatingZone = null)
    {
        var calendar = Load(text);
        var zone = floatingZone ?? TimeZoneInfo.Utc;
        var options = new EvaluationOptions { MaxUnmatchedIncrementsLimit = 1000 };
        var searchFrom = new CalDateTime((from - FloatingSlack).UtcDateTime, CalDateTime.UtcTzId);
        IEnumerable<Occurrence> occurrences = kind == ItemKind.Task
            ? calendar.GetOccurrences<Todo>(searchFrom, options)
            : calendar.GetOccurrences<CalendarEvent>(searchFrom, options);
        try
        {
            foreach (var occurrence in occurrences)
            {
                var start = Instant(occurrence.Period.StartTime, zone);
                if (start >= to + FloatingSlack)
                    return false;
                var end = occurrence.Period.EffectiveEndTime is { } e ? Instant(e, zone) : DefaultEnd(occurrence.Period.StartTime, start);
                if (start < to && (end > from || (end == start && start >= from)))
                    return true;
            }
        }
        catch (EvaluationException)
        {
            // a rule that stops matching: no more instances to find
        }
        return kind == ItemKind.Task && Components(calendar, kind).All(c => Span(c) is (null, null));
    }

    static Calendar Load(string text)
    {
        Calendar? calendar;
        try
        {
            calendar = Calendar.Load(text);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ItemContentException($"not a valid iCalendar object: {e.Message}");
        }
        return calendar ?? throw new ItemContentException("not an iCalendar object");
    }

    static List<RecurringComponent> Components(Calendar calendar, ItemKind kind) =>
        kind == ItemKind.Task ? [.. calendar.Todos] : [.. calendar.Events];

    static bool IsFloating(RecurringComponent c) =>
        c.DtStart is { } s && (s.IsFloating || !s.HasTime)
        || (c is CalendarEvent { DtEnd: { } e } && (e.IsFloating || !e.HasTime))
        || (c is Todo { Due: { } d } && (d.IsFloating || !d.HasTime));

    /// <summary>The first start and last end of one component's own instance (not its recurrences).</summary>
    static (DateTimeOffset? Start, DateTimeOffset? End) Span(RecurringComponent c)
    {
        if (c is CalendarEvent ev)
        {
            if (ev.DtStart is not { } start)
                return (null, null);
            var s = Instant(start);
            DateTimeOffset e = ev.DtEnd is { } end ? Instant(end)
                : ev.Duration is { } duration ? Instant(start.Add(duration))
                : DefaultEnd(start, s);
            return (s, Max(e, s));
        }
        var todo = (Todo)c;
        DateTimeOffset? first = null, last = null;
        foreach (var t in new[] { todo.DtStart, todo.Due, todo.Completed, todo.DtStart is { } ds && todo.Duration is { } dur ? ds.Add(dur) : null })
        {
            if (t is null)
                continue;
            first = Min(first, Instant(t));
            last = Max(last, Instant(t));
        }
        return (first, last);
    }

    /// <summary>Where a rule with COUNT or UNTIL ends; null when it never does (or has too many instances to count).</summary>
    static DateTimeOffset? LastEnd(RecurringComponent master, DateTimeOffset? known)
    {
        if (master.RecurrenceRule is { Count: null, Until: null })
            return null;
        DateTimeOffset? last = known;
        var counted = 0;
        try
        {
            foreach (var occurrence in master.GetOccurrences(null, new EvaluationOptions { MaxUnmatchedIncrementsLimit = 1000 }))
            {
                if (++counted > MaxCountedOccurrences)
                    return null;
                var start = Instant(occurrence.Period.StartTime);
                var end = occurrence.Period.EffectiveEndTime is { } e ? Instant(e) : DefaultEnd(occurrence.Period.StartTime, start);
                last = Max(last, end);
            }
        }
        catch (EvaluationException)
        {
            return null;
        }
        return last;
    }

    /// <summary>RFC 4791 9.9: an instance without an end lasts a day when it starts on a date, and no time at all when it starts at a time.</summary>
    static DateTimeOffset DefaultEnd(CalDateTime start, DateTimeOffset startInstant) => start.HasTime ? startInstant : startInstant.AddDays(1);

    /// <summary>The instant a time stands for; a floating time or a date is read in <paramref name="floatingZone"/> (UTC when null).</summary>
    static DateTimeOffset Instant(CalDateTime time, TimeZoneInfo? floatingZone = null)
    {
        if (time.IsFloating || !time.HasTime)
        {
            var wall = DateTime.SpecifyKind(time.Value, DateTimeKind.Unspecified);
            var zone = floatingZone ?? TimeZoneInfo.Utc;
            return new DateTimeOffset(wall, zone.GetUtcOffset(wall));
        }
        return new DateTimeOffset(time.AsUtc, TimeSpan.Zero);
    }

    static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    static string? Cut(string? text, int length) => text is null ? null : text.Length <= length ? text : text[..length];
}

/// <summary>Content that is not what its kind says (not iCalendar, not a vCard…): nothing is stored (DAV 415/403, REST 400).</summary>
public sealed class ItemContentException(string message) : Exception(message);
