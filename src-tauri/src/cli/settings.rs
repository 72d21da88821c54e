//! `calendarbot settings get|set`: the command line may change every setting (the
//! window may not change some); `set` applies the same side effects as the app.

use calendarbot_core::api::settings::{self as api, Caller};
use calendarbot_core::api::Ctx;

use super::args::SettingsCommand;
use super::out::{outln, Out};
use super::CliError;

pub async fn run(ctx: &Ctx, command: SettingsCommand) -> Result<(), CliError> {
    let mut out = Out::new();
    match command {
        SettingsCommand::Get { key: Some(key) } => outln!(out, "{}", api::get(ctx, &key).await?)?,
        SettingsCommand::Get { key: None } => {
            for (key, value) in api::all(ctx).await? {
                outln!(out, "{key} = {value}")?;
            }
        }
        SettingsCommand::Set { key, value } => {
            let stored = api::set(ctx, Caller::CommandLine, &key, &value).await?;
            outln!(out, "{key} = {stored}")?;
        }
    }
    out.finish()
}
