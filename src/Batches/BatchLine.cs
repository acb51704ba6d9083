using System.Text.Json;

namespace Dispatcher.Batches;

/// <summary>
/// One request of a bulk-submit file, ready to publish.
/// </summary>
/// <param name="LineNumber">The 1-based line number in the file, counting blank lines.</param>
/// <param name="CustomId">The caller's id for the request, unique in the file.</param>
/// <param name="Model">The requested model (<c>body.model</c>, or the default moderation model), lifted out for routing.</param>
/// <param name="Body">
/// The request body exactly as the file gives it, unknown fields included. It owns its memory,
/// so it stays valid after the reader moves on and needs no disposal.
/// </param>
/// <param name="Bytes">The line's length in the file, in bytes of UTF-8.</param>
/// <param name="Url">The endpoint the line asks for, one of <see cref="Contracts.Endpoints.All"/>.</param>
internal sealed record BatchLine(int LineNumber, string CustomId, string Model, JsonElement Body, int Bytes, string Url = Contracts.Endpoints.ChatCompletions);
