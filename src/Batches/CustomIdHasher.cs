namespace Dispatcher.Batches;

/// <summary>
/// Hashes a custom_id's UTF-8 bytes for duplicate detection. A seam so tests can force
/// collisions and show that a collision never rejects a valid file.
/// </summary>
internal delegate ulong CustomIdHasher(ReadOnlySpan<byte> utf8);
