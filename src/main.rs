//! The `devloop` binary: parses the command line and hands over to the library.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use devloop::cli::{self, Client};
use devloop::runs::Runs;
use devloop::server::{self, security::Guard, AppState, LogWatchers};
use devloop::settings::Settings;

#[derive(Parser)]
#[command(
    name = "devloop",
    version,
    about = "One local web page for the dev loop of LLM agents and evaluations"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a project's page and API.
    Serve {
        /// The project folder (configs/, results/, datasets/, devloop.toml).
        #[arg(long, default_value = ".")]
        project: PathBuf,
        #[command(flatten)]
        listen: Listen,
    },
    /// Copy the bundled demo project into DIR (a temporary folder by default) and serve it.
    Demo {
        dir: Option<PathBuf>,
        #[command(flatten)]
        listen: Listen,
    },
    /// Launch a config; print its run id, or follow its output with --follow.
    Launch {
        /// A config file name, its stem, or a path to it; one that starts
        /// with '-' is taken as a name too.
        #[arg(allow_hyphen_values = true)]
        config: String,
        #[arg(short, long)]
        follow: bool,
        /// Run it on this target of devloop.toml (`local`: this machine).
        #[arg(long = "on", value_name = "TARGET")]
        on: Option<String>,
        #[command(flatten)]
        server: ServerUrl,
    },
    /// List runs, newest first.
    Runs {
        #[command(flatten)]
        server: ServerUrl,
    },
    /// Print a run's output; with -f, follow it and exit with the run's exit code.
    Logs {
        run: String,
        #[arg(short, long)]
        follow: bool,
        #[command(flatten)]
        server: ServerUrl,
    },
    /// Stop a run (SIGTERM to its process group, then SIGKILL).
    Stop {
        run: String,
        #[command(flatten)]
        server: ServerUrl,
    },
    /// Internal: supervise one run (started by the server).
    #[command(hide = true)]
    Supervise { run_dir: PathBuf },
    /// Internal, on a target: start a supervisor detached; print its pid.
    #[command(hide = true, name = "remote-start")]
    RemoteStart { run_dir: PathBuf },
    /// Internal, on a target: print a run's records after a seq, then its exit.
    #[command(hide = true, name = "remote-follow")]
    RemoteFollow {
        run_dir: PathBuf,
        #[arg(long, default_value_t = 0)]
        after: u64,
    },
    /// Internal, on a target: ask a run's supervisor to stop.
    #[command(hide = true, name = "remote-signal")]
    RemoteSignal { run_dir: PathBuf },
}

#[derive(Args)]
struct Listen {
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// Address to bind. Anything but loopback needs --token.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Token every request must carry ("auto" makes one up); needed off loopback.
    #[arg(long, env = "DEVLOOP_TOKEN")]
    token: Option<String>,
    /// Open the page in a browser.
    #[arg(long)]
    open: bool,
    /// Serve the page from this folder instead of the embedded copy (for editing it).
    #[arg(long)]
    ui_dir: Option<PathBuf>,
}

#[derive(Args)]
struct ServerUrl {
    #[arg(long, env = "DEVLOOP_URL", default_value = "http://127.0.0.1:8765")]
    url: String,
    #[arg(long, env = "DEVLOOP_TOKEN")]
    token: Option<String>,
}

impl ServerUrl {
    fn client(&self) -> Client {
        Client::new(&self.url, self.token.clone())
    }
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                0
            } else if let Some(refused) = e.downcast_ref::<cli::Refused>() {
                eprintln!("devloop: {refused}");
                1
            } else {
                eprintln!("devloop: {e:#}");
                2
            }
        }
    };
    std::process::exit(code);
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Supervise { run_dir } => devloop::supervisor::main(&run_dir),
        Command::RemoteStart { run_dir } => devloop::targets::remote::start(&run_dir),
        Command::RemoteFollow { run_dir, after } => {
            devloop::targets::remote::follow(&run_dir, after)
        }
        Command::RemoteSignal { run_dir } => devloop::targets::remote::signal(&run_dir),
        Command::Serve { project, listen } => serve(project, listen),
        Command::Demo { dir, listen } => {
            let project = devloop::demo::materialize(dir.as_deref())?;
            serve(project, listen)
        }
        Command::Launch {
            config,
            follow,
            on,
            server,
        } => cli::launch(&server.client(), &config, on.as_deref(), follow),
        Command::Runs { server } => cli::runs(&server.client()),
        Command::Logs {
            run,
            follow,
            server,
        } => cli::logs(&server.client(), &run, follow),
        Command::Stop { run, server } => cli::stop(&server.client(), &run),
    }
}

fn serve(project: PathBuf, listen: Listen) -> anyhow::Result<i32> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DEVLOOP_LOG")
                .unwrap_or_else(|_| "devloop=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let token = match listen.token.as_deref() {
        Some("auto") => Some(devloop::ids::new_token()),
        Some(t) if t.len() < 8 => {
            anyhow::bail!("--token must be at least 8 characters (or \"auto\")")
        }
        other => other.map(str::to_string),
    };
    if !listen.host.is_loopback() && token.is_none() {
        anyhow::bail!(
            "binding {} exposes an API that starts processes: pass --token TOKEN (or --token auto)",
            listen.host
        );
    }
    let settings = std::sync::Arc::new(Settings::load(&project)?);
    let mut lock = devloop::projectlock::ProjectLock::take(&settings.state_dir())?;
    let fds = devloop::server::listen::raise_fd_limit();
    let exe = std::env::current_exe().context("finding the devloop executable")?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(listen.host, listen.port))
            .await
            .with_context(|| format!("binding {}:{}", listen.host, listen.port))?;
        let addr = listener.local_addr()?;
        let bus = devloop::bus::Bus::default();
        let runs = Runs::open(settings.clone(), bus.clone(), exe)?;
        runs.start_background();
        let host = if listen.host.is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            addr.ip().to_string()
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let mut url = format!("http://{host}:{}/", addr.port());
        if let Some(t) = &token {
            url.push_str(&format!("?token={t}"));
        }
        lock.announce(&url)?;
        tracing::debug!("open files allowed: {fds}");
        println!("devloop: serving {} at {url}", settings.project.display());
        if listen.open {
            let _ = std::process::Command::new("xdg-open").arg(&url).spawn();
        }
        let results = std::sync::Arc::new(
            devloop::results::Results::open(
                settings.results_dir.clone(),
                &settings.state_dir().join("devloop.db"),
            )?
            .with_inspect_logs(&settings.project, &settings.inspect_logs_dir),
        );
        let state = AppState {
            settings,
            bus,
            runs,
            results,
            datasets: Default::default(),
            watchers: LogWatchers::new(),
            ui_dir: listen.ui_dir,
        };
        let guard = Guard {
            port: addr.port(),
            token,
        };
        server::watch_files(&state);
        server::serve(listener, state, guard).await
    })?;
    Ok(0)
}
