namespace OpenSslTls.Benchmarks.Infrastructure;

/// <summary>The plaintext of record-path messages: printable bytes, like a SIP message (the content does not change the cost).</summary>
internal static class Message
{
    public static byte[] Create(int size)
    {
        var message = new byte[size];
        for (int i = 0; i < size; i++)
        {
            message[i] = (byte)('a' + (i % 26));
        }

        return message;
    }
}
