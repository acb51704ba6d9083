using Dispatcher.Hosting;
using Dispatcher.Messaging;
using Dispatcher.Monitoring;
using Dispatcher.Monitoring.Prometheus;
using Dispatcher.Workers.Hosting;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddDispatcherSources(args);
builder.WebHost.UseUrls(builder.Configuration["Urls"] ?? "http://127.0.0.1:5081");
builder.Services.AddWorkerTelemetry();
builder.Services.AddWorkers();
builder.Services.AddCompletionBus(builder.Configuration, new WorkersModule());
builder.Services.AddHealthChecks();

var app = builder.Build();
app.MapHealthEndpoints();
app.MapPrometheusMetrics();
app.Run();
