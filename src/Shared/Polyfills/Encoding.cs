// netstandard2.0 only: the span overloads of Encoding (.NET Core 2.1), over its pointer overloads,
// and Encoding.Latin1 (.NET 5), which is code page 28591 everywhere.
using System.Runtime.InteropServices;
using System.Text;

namespace SipTraceContext;

internal static class EncodingPolyfills
{
    private static Encoding? s_latin1;

    extension(Encoding)
    {
        public static Encoding Latin1 => s_latin1 ??= Encoding.GetEncoding(28591);
    }

    extension(Encoding encoding)
    {
        public unsafe string GetString(ReadOnlySpan<byte> bytes)
        {
            fixed (byte* p = &MemoryMarshal.GetReference(bytes))
            {
                return bytes.IsEmpty ? string.Empty : encoding.GetString(p, bytes.Length);
            }
        }

        public unsafe int GetBytes(ReadOnlySpan<char> chars, Span<byte> bytes)
        {
            fixed (char* c = &MemoryMarshal.GetReference(chars))
            fixed (byte* b = &MemoryMarshal.GetReference(bytes))
            {
                return encoding.GetBytes(c, chars.Length, b, bytes.Length);
            }
        }

        public unsafe int GetChars(ReadOnlySpan<byte> bytes, Span<char> chars)
        {
            fixed (byte* b = &MemoryMarshal.GetReference(bytes))
            fixed (char* c = &MemoryMarshal.GetReference(chars))
            {
                return encoding.GetChars(b, bytes.Length, c, chars.Length);
            }
        }

        public unsafe int GetByteCount(ReadOnlySpan<char> chars)
        {
            fixed (char* c = &MemoryMarshal.GetReference(chars))
            {
                return encoding.GetByteCount(c, chars.Length);
            }
        }

        public unsafe int GetCharCount(ReadOnlySpan<byte> bytes)
        {
            fixed (byte* b = &MemoryMarshal.GetReference(bytes))
            {
                return encoding.GetCharCount(b, bytes.Length);
            }
        }
    }
}
