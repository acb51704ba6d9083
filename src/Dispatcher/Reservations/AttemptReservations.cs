using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Quotas;

namespace Dispatcher.Reservations;

/// <summary>
/// The one owner of what an attempt holds (<see cref="AttemptReservation"/>): it takes the quota
/// reservation, the spend hold and the half-open probe slot when routing picks a deployment, and
/// gives them back once, either settled against the attempt's outcome or released when the
/// attempt was never sent or a resend of it replaced its claim. No other type reserves, settles
/// or releases them.
/// </summary>
/// <remarks>
/// <para>
/// Each transition happens once per reservation: every reservation this process makes is
/// recorded as open under its quota sequence, and the first <see cref="Settle"/> or
/// <see cref="Release"/> of it closes it. A later settle or release of a closed reservation
/// changes nothing and returns false, so a repeated call can never refund quota or spend twice,
/// nor hand back a probe slot that another attempt holds.
/// </para>
/// <para>
/// A reservation made by an earlier process, before a restart, is not in the record: its
/// sequence is below <see cref="QuotaBook.FirstSequence"/> (or 0, when the ledger recorded
/// none). It is settled or released whenever asked, as before the record existed; the caller
/// asks once, as it settles only on the first report of an attempt, which the ledger's write of
/// that report decides. Its quota settle closes the reservation the start-up seed held open for
/// it (<see cref="QuotaBook.Seed"/>), or else counts the call in the windows from when the
/// provider received it.
/// </para>
/// <para>
/// An attempt whose outcome never reaches this process stays in the record, a few bytes, until
/// the process ends: forgetting it sooner would let its late outcome go unsettled.
/// </para>
/// </remarks>
public sealed class AttemptReservations
{
    private readonly QuotaBook _quotas;
    private readonly SpendBook _spend;
    private readonly DeploymentBreakers _breakers;

    // Sequences this process reserved and has neither settled nor released. Guarded by the quota
    // book's lock, which routing already holds when it reserves: recording takes no second lock.
    private readonly HashSet<long> _open = [];

    /// <summary>Owns the reservations made on these books.</summary>
    public AttemptReservations(QuotaBook quotas, SpendBook spend, DeploymentBreakers breakers)
    {
        _quotas = quotas;
        _spend = spend;
        _breakers = breakers;
    }

    /// <summary>
    /// Reserves an attempt on <paramref name="deployment"/>: one request,
    /// <paramref name="estimatedPromptTokens"/> input and <paramref name="maxTokens"/> output tokens on its
    /// <paramref name="quota"/>, the estimated cost against the caps that apply (when any is
    /// configured), and a probe slot while its breaker is half-open. Routing calls it while it
    /// holds <see cref="QuotaBook.Gate"/>, between finding that the quota affords the job and
    /// letting go, so no other job takes the same room.
    /// </summary>
    /// <param name="deployment">The deployment routing picked.</param>
    /// <param name="quota">That deployment's quota in the book this owner was built on.</param>
    /// <param name="estimatedPromptTokens">The job's prompt estimate.</param>
    /// <param name="maxTokens">The completion tokens the job may use.</param>
    /// <param name="tenant">The job's tenant; null for none.</param>
    /// <param name="now">The quota book's clock (<see cref="QuotaBook.Now"/>) as routing read it.</param>
    /// <returns>
    /// The reservation's quota sequence, which the ledger keeps with the attempt;
    /// <see cref="AttemptReservation.For"/> rebuilds the reservation from it.
    /// </returns>
    public long Reserve(DeploymentOptions deployment, DeploymentQuota quota, int estimatedPromptTokens, int maxTokens, string? tenant, double now)
    {
        lock (_quotas.Gate)
        {
            var sequence = _quotas.Reserve(quota, new QuotaTokens(estimatedPromptTokens, maxTokens), now);
            _open.Add(sequence);
            _breakers.Admitted(deployment.Id);
            if (_spend.HasCaps)
            {
                _spend.Reserve(deployment, tenant, CostCalculator.Cost(deployment, estimatedPromptTokens, maxTokens));
            }

            return sequence;
        }
    }

    /// <summary>
    /// Settles a sent attempt's reservation against its <paramref name="outcome"/>: the quota
    /// against the tokens really used (none when the call failed; reported usage beyond the
    /// reservation's <see cref="AttemptReservation.Ceiling"/> counts as the ceiling), counted in the windows from
    /// when the provider received the call at the latest and corrected by the provider's own
    /// rate-limit signals; the spend against the call's real cost (nothing when it failed); and
    /// the breaker fed the outcome, which also frees a probe slot.
    /// </summary>
    /// <returns>
    /// Whether this call settled it; false, changing nothing, when it was settled or released
    /// already (see the remarks on <see cref="AttemptReservations"/>).
    /// </returns>
    /// <exception cref="ArgumentException">The outcome is of an attempt on another deployment.</exception>
    public bool Settle(AttemptReservation reservation, CompletionAttempted outcome)
    {
        var deployment = reservation.Deployment;
        if (!string.Equals(outcome.DeploymentId, deployment.Id, StringComparison.Ordinal))
        {
            throw new ArgumentException($"the outcome is of an attempt on {outcome.DeploymentId}, the reservation is on {deployment.Id}", nameof(outcome));
        }

        if (!Close(reservation.Sequence))
        {
            return false;
        }

        var succeeded = outcome.Error == ErrorKind.None;
        var usage = outcome.Usage is { } reported ? reservation.Ceiling.Bound(reported) : null;
        var used = succeeded ? usage is null ? reservation.ReservedTokens : QuotaTokens.Used(usage) : default;
        _quotas.Settle(deployment.Id, reservation.Sequence, reservation.ReservedTokens, used, Timing(outcome), outcome.RateLimit, outcome.RetryAfter, outcome.StatusCode);
        _spend.Settle(deployment, reservation.Tenant, reservation.EstimatedCost, succeeded ? CostCalculator.Cost(deployment, usage) : 0m);
        _breakers.Record(deployment.Id, outcome.Error);
        return true;
    }

    /// <summary>
    /// Gives back the reservation of an attempt that was never sent. No provider counts the call,
    /// so the reservation leaves the quota windows outright (settling it as a failed call would
    /// keep its request in the window for a whole window from now, for a call that does not
    /// exist); its estimated cost leaves the spend caps and its probe slot, if it took one, is free.
    /// </summary>
    /// <returns>
    /// Whether this call released it; false, changing nothing, when it was settled or released
    /// already (see the remarks on <see cref="AttemptReservations"/>).
    /// </returns>
    public bool Release(AttemptReservation reservation)
    {
        if (!Close(reservation.Sequence))
        {
            return false;
        }

        var deployment = reservation.Deployment;
        _quotas.Release(deployment.Id, reservation.Sequence, reservation.ReservedTokens);
        _spend.Settle(deployment, reservation.Tenant, reservation.EstimatedCost, 0m);
        _breakers.Released(deployment.Id);
        return true;
    }

    /// <summary>
    /// Closes the reservation of a claim that a resend of the same attempt replaced in the ledger
    /// (<see cref="Ledger.JobLedger.MarkDispatchedAsync"/>). The ledger then names the resend's
    /// reservation, which the resend's outcome settles, so nothing would ever settle the replaced
    /// one. Its estimated cost and probe slot are given back; in the quota windows it stays counted,
    /// as a call received now with the tokens it reserved, since the replaced send may have gone
    /// out and be called by a worker (its late outcome then changes nothing).
    /// </summary>
    /// <remarks>
    /// One made by an earlier process, before a restart, holds its estimated cost here (the spend
    /// accounts were restored from the ledger's jobs under way, which counted it), which is given
    /// back; this process's breakers never counted it as a probe. The ledger lets one resend
    /// replace a given claim, so this is asked once per replaced reservation.
    /// </remarks>
    /// <returns>
    /// Whether this call closed anything; false, changing nothing, for a reservation of this
    /// process already settled or released.
    /// </returns>
    public bool ReleaseReplaced(AttemptReservation replaced)
    {
        bool held;
        lock (_quotas.Gate)
        {
            held = _open.Remove(replaced.Sequence);
            if (!held && replaced.Sequence >= _quotas.FirstSequence)
            {
                return false;
            }
        }

        var deployment = replaced.Deployment;
        // The replaced send may well have gone out (the usual resend follows a broker restart or a
        // crash after the send, before the acknowledgement), and then the provider counts its call
        // whenever a worker makes it, while its outcome settles nothing here any more. So the
        // windows keep it as a call received now, with every token it reserved (closing the
        // start-up seed's hold on it, for one from before a restart): a window that gave its room
        // to another job would let the provider count one call more than its limit. Had it never
        // gone out, this costs one call's room for one window.
        _quotas.Settle(deployment.Id, replaced.Sequence, replaced.ReservedTokens, replaced.ReservedTokens, default, null, null);
        if (held)
        {
            _breakers.Released(deployment.Id);
        }

        _spend.Settle(deployment, replaced.Tenant, replaced.EstimatedCost, 0m);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="reservation"/> was made by this process and is neither settled nor
    /// released yet: for an outcome that is not its attempt's first report, whose reservation then
    /// still waits for it.
    /// </summary>
    public bool IsOpen(AttemptReservation reservation)
    {
        lock (_quotas.Gate)
        {
            return _open.Contains(reservation.Sequence);
        }
    }

    /// <summary>Whether this owner reserves on exactly these books (the ones its caller reads).</summary>
    internal bool Uses(QuotaBook quotas, SpendBook spend, DeploymentBreakers breakers) =>
        ReferenceEquals(quotas, _quotas) && ReferenceEquals(spend, _spend) && ReferenceEquals(breakers, _breakers);

    /// <summary>
    /// Closes a reservation in the record and gives nothing back: for the routing benchmark, which
    /// does the quota's own work of a settle itself so as to leave out the rest of a settle (the
    /// signal to waiting jobs, the breaker's sampling) while keeping the record at its size in a
    /// running dispatcher.
    /// </summary>
    internal bool Forget(long sequence) => Close(sequence);

    /// <summary>
    /// The worker's measures of the call, as durations: one that is not a positive number of
    /// milliseconds is none.
    /// </summary>
    internal static CallTiming Timing(CompletionAttempted outcome) => CallTiming.FromMilliseconds(outcome.LatencyMs, outcome.ProviderMs);

    // Closes an open reservation of this process; one from before a restart was never recorded
    // and always goes through.
    private bool Close(long sequence)
    {
        lock (_quotas.Gate)
        {
            return _open.Remove(sequence) || sequence < _quotas.FirstSequence;
        }
    }
}
