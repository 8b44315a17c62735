// netstandard2.0 only: the one-shot cryptography helpers of newer .NET (RandomNumberGenerator.GetBytes,
// HMACSHA256.HashData), with .NET's results.
using System.Security.Cryptography;

namespace SipTraceContext;

internal static class CryptographyPolyfills
{
    extension(RandomNumberGenerator)
    {
        /// <summary>.NET 6: <paramref name="count"/> cryptographically strong random bytes.</summary>
        public static byte[] GetBytes(int count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            byte[] bytes = new byte[count];
            using var rng = RandomNumberGenerator.Create();
            rng.GetBytes(bytes);
            return bytes;
        }
    }

    extension(HMACSHA256)
    {
        /// <summary>.NET 6: the hash size of HMAC-SHA256, 32 bytes.</summary>
        public static int HashSizeInBytes => 32;

        /// <summary>.NET 6: the HMAC-SHA256 of <paramref name="source"/> under <paramref name="key"/>, written to <paramref name="destination"/>.</summary>
        public static int HashData(byte[] key, ReadOnlySpan<byte> source, Span<byte> destination)
        {
            ArgumentNullException.ThrowIfNull(key);
            if (destination.Length < 32)
            {
                throw new ArgumentException("Destination is too short.", nameof(destination));
            }

            using var hmac = new HMACSHA256(key);
            byte[] hash = hmac.ComputeHash(source.ToArray());
            hash.CopyTo(destination);
            return hash.Length;
        }
    }
}
