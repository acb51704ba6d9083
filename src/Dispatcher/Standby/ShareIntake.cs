using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Monitoring;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;

namespace Dispatcher.Standby;

/// <summary>
/// With several shares (<see cref="StandbyOptions.Shares"/>), hands the jobs a dispatcher takes off
/// the shared intake to the process routing their share before any is recorded. Each share has an
/// intake queue of its own (<c>completion-intake.s1</c>), single-active like the share's other
/// queues: the jobs of a submission in a share this process does not route go there, one message
/// per share, and the share's owner records and routes them as if it had taken them off the shared
/// intake. A job is recorded once, by the process that routes it, instead of being recorded by one
/// process, handed on through the owner's lane and read back by the owner.
/// </summary>
public sealed class ShareIntake(
    DispatchShares shares,
    DispatcherActivation activation,
    ShareQueueSender sender,
    DispatcherInstrumentation instrumentation)
{
    // Set on a hand-over made by a delivery that came again (redelivered by the broker, or tried
    // again in process): the owner may send again an attempt the ledger shows claimed and unsent.
    private const string AgainHeader = "Dispatcher-Handed-On-Again";

    /// <summary>
    /// Whether the jobs of <paramref name="context"/>'s delivery may be handed on: with several
    /// shares, when it came off the intake every dispatcher shares.
    /// </summary>
    public bool HandsOn(ConsumeContext context) =>
        shares.Split && DispatchShares.ShareOfDelivery(context) is null;

    /// <summary>
    /// Whether <paramref name="context"/>'s delivery, off a share's intake, was handed on by a delivery
    /// of the shared intake that came again: as that delivery itself, it may send again a first
    /// attempt that a process which stopped before acknowledging it claimed and perhaps never sent.
    /// A hand-over is otherwise a new message, like a republish, which never sends a claimed attempt.
    /// </summary>
    public static bool HandedOnAgain(ConsumeContext context) =>
        context.Headers.Get<bool>(AgainHeader) == true
        && DispatchShares.ShareOfDelivery(context) is not null;

    /// <summary>
    /// Splits the jobs of <paramref name="context"/>'s delivery into those of the shares this process
    /// routes (kept) and, per other share, those to hand on to it. Jobs an earlier try of the same
    /// delivery handed on are in neither.
    /// </summary>
    public (List<SubmitCompletion> Kept, Dictionary<int, List<SubmitCompletion>> Others) Split(IEnumerable<SubmitCompletion> jobs, ConsumeContext context)
    {
        var sent = SentAttempts.Of(context);
        var kept = new List<SubmitCompletion>();
        var others = new Dictionary<int, List<SubmitCompletion>>();
        foreach (var job in jobs)
        {
            if (sent.Contains(job.JobId.ToString()))
            {
                continue;
            }

            var share = shares.ShareOf(job.ModelGroup);
            if (activation.EpochOf(share) is not null)
            {
                kept.Add(job);
            }
            else if (others.TryGetValue(share, out var list))
            {
                list.Add(job);
            }
            else
            {
                others[share] = [job];
            }
        }

        return (kept, others);
    }

    /// <summary>
    /// Sends <paramref name="jobs"/> of <paramref name="share"/> to the share's intake, as one
    /// message, and waits for the broker to confirm it. Each job carries its id, so the owner gives
    /// it the id this delivery would have.
    /// </summary>
    public async Task HandOnAsync(int share, IReadOnlyList<SubmitCompletion> jobs, ConsumeContext context)
    {
        await sender.SendAsync(
            context,
            QueueNames.Intake,
            share,
            new SubmitCompletions(jobs),
            c =>
            {
                IntakePriority.Apply(c, jobs.Max(j => j.Priority));
                if (context.ReceiveContext.Redelivered || context.GetRetryAttempt() > 0)
                {
                    c.Headers.Set(AgainHeader, true);
                }
            },
            $"{jobs.Count} job(s) to the intake of share {share}",
            context.CancellationToken);

        // Handed on: should this delivery be tried again, it must not hand them on twice.
        var sent = SentAttempts.Of(context);
        foreach (var job in jobs)
        {
            sent.Add(job.JobId.ToString());
        }

        instrumentation.JobsHandedOn(share, jobs.Count);
    }
}
