namespace SipTraceContext.Sip;

/// <summary>What a <see cref="SipHeaderEdit"/> does.</summary>
internal enum SipHeaderEditKind
{
    /// <summary>Remove every instance of the header, in any case and in long or compact form.</summary>
    Remove = 0,

    /// <summary>
    /// Remove every instance of the header and write one with the new value: in place of the first
    /// instance when there is one (so header order is kept), else at the end of the header section.
    /// </summary>
    Set = 1,

    /// <summary>Write one more instance at the end of the header section; existing instances stay.</summary>
    Add = 2,
}
