namespace Dispatcher.Consumers;

/// <summary>
/// A message on the intake that can never become a job (a required field is missing or of the
/// wrong shape). It is not retried: the transport moves it to the error queue with this message.
/// </summary>
public sealed class InvalidSubmissionException(string message) : Exception(message);
