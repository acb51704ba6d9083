using Dispatcher.Hosting;
using Dispatcher.Messaging;
using Dispatcher.Monitoring;
using Dispatcher.Monitoring.Prometheus;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddDispatcherSources(args);
builder.WebHost.UseUrls(builder.Configuration["Urls"] ?? "http://127.0.0.1:5080");
builder.Services.AddDispatcherTelemetry();
builder.Services.AddDispatcher();
builder.Services.AddCompletionBus(builder.Configuration, new DispatcherModule());
builder.Services.AddDispatcherMonitoring(builder.Configuration);
builder.Services.AddHealthChecks();

var app = builder.Build();
app.MapHealthEndpoints();
app.MapPrometheusMetrics();
app.MapDispatcherMonitoring();
app.Run();
