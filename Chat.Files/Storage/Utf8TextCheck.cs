using System.Buffers;
using System.Text.Unicode;

namespace Chat.Files.Storage;

/// <summary>
/// The rule for a text upload, checked as the bytes go by: valid UTF-8 with no NUL and no control characters but tab,
/// line breaks and form feed (what people mean by a text file). Fed chunk by chunk while an upload streams to disk, so
/// a text file is not read a second time; a sequence split between chunks is carried over.
/// </summary>
public sealed class Utf8TextCheck
{
    // C0 controls but tab, LF, FF, CR; DEL; the C1 controls (char.IsControl's set, minus what text may hold).
    private static readonly SearchValues<char> Disallowed = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F"
        + "\u007F\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008A\u008B\u008C\u008D\u008E\u008F\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009A\u009B\u009C\u009D\u009E\u009F");

    private readonly byte[] _carry = new byte[4];
    private int _carried;
    private char[] _chars = [];
    private long _position;

    /// <summary>Why the bytes so far are not acceptable text; null while they are.</summary>
    public string? Refusal { get; private set; }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Refusal is not null || bytes.IsEmpty)
        {
            return;
        }
        if (_carried > 0)
        {
            // Complete the sequence split at the last chunk's end with this chunk's first bytes (at most 3 more).
            var take = Math.Min(4 - _carried, bytes.Length);
            Span<byte> joined = stackalloc byte[4];
            _carry.AsSpan(0, _carried).CopyTo(joined);
            bytes[..take].CopyTo(joined[_carried..]);
            var before = _carried;
            _carried = 0;
            var used = Check(joined[..(before + take)], final: false);
            if (Refusal is not null)
            {
                return;
            }
            if (used < before)
            {
                // Still inside the same character (a chunk of one or two bytes): keep carrying.
                joined[..(before + take)].CopyTo(_carry);
                _carried = before + take;
                return;
            }
            bytes = bytes[(used - before)..];
        }
        var read = Check(bytes, final: false);
        if (Refusal is null && read < bytes.Length)
        {
            bytes[read..].CopyTo(_carry);
            _carried = bytes.Length - read;
        }
    }

    /// <summary>The verdict once every byte was appended.</summary>
    public string? Complete()
    {
        if (Refusal is null && _carried > 0)
        {
            Refusal = NotUtf8; // the file ends inside a character
        }
        return Refusal;
    }

    public const string NotUtf8 = "The file's bytes are no accepted format and not valid UTF-8 text. Accepted: " + ContentTypes.AcceptedKinds + ".";

    /// <summary>Decodes (vectorised) and looks for a disallowed character (vectorised); returns the bytes consumed.</summary>
    private int Check(ReadOnlySpan<byte> bytes, bool final)
    {
        if (_chars.Length < bytes.Length)
        {
            _chars = new char[Math.Max(bytes.Length, 4096)];
        }
        var status = Utf8.ToUtf16(bytes, _chars, out var bytesRead, out var charsWritten, replaceInvalidSequences: false, isFinalBlock: final);
        if (status == OperationStatus.InvalidData)
        {
            Refusal = NotUtf8;
            return bytesRead;
        }
        var chars = _chars.AsSpan(0, charsWritten);
        if (chars.IndexOfAny(Disallowed) is var at and >= 0)
        {
            Refusal = $"The file is UTF-8 text but contains the control character U+{(int)chars[at]:X4} (character {_position + at + 1}); "
                + "text files may hold tabs, line breaks and form feeds only.";
        }
        _position += charsWritten;
        return bytesRead;
    }
}
