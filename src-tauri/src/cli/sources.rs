//! `calendarbot sources list|add|remove`. Secrets come from environment variables the
//! user names, never from argv.

use calendarbot_core::api::sources as api;
use calendarbot_core::api::{ApiError, Ctx};
use calendarbot_core::sources::{Auth, NewSource};

use super::args::{SourcesCommand, TextOrJson};
use super::out::{escape, outln, Out};
use super::{secret_from_env, CliError};

/// A refusal `--add-anyway` overrides says so, in the same line.
fn anyway_hint(e: ApiError) -> ApiError {
    if api::ADD_ANYWAY_CODES.contains(&e.code) {
        let message = format!("{}; not added (--add-anyway adds it as it is)", e.message);
        ApiError { message, ..e }
    } else {
        e
    }
}

pub async fn run(ctx: &Ctx, command: SourcesCommand) -> Result<(), CliError> {
    let mut out = Out::new();
    match command {
        SourcesCommand::List(f) => {
            let list = api::list(ctx).await?;
            match f.format {
                TextOrJson::Json => out.json(&list)?,
                TextOrJson::Text if list.is_empty() => {
                    outln!(out, "no sources (the demo calendar is shown)")?
                }
                TextOrJson::Text => {
                    for s in list {
                        let state = if s.enabled { "" } else { "  (disabled)" };
                        outln!(
                            out,
                            "{:>3}  {}  {}  [{}]{state}",
                            s.id,
                            escape(&s.name),
                            escape(&s.display),
                            s.auth.as_str()
                        )?;
                    }
                }
            }
        }
        SourcesCommand::Add(a) => {
            let auth = if let (Some(user), Some(var)) = (&a.user, &a.password_env) {
                Auth::Basic {
                    user: user.clone(),
                    password: secret_from_env(var)?,
                }
            } else if let Some(var) = &a.bearer_env {
                Auth::Bearer {
                    token: secret_from_env(var)?,
                }
            } else if !a.headers.is_empty() {
                let headers = a
                    .headers
                    .iter()
                    .map(|h| {
                        h.split_once(':')
                            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                            .filter(|(k, _)| !k.is_empty())
                            .ok_or_else(|| {
                                CliError::Usage("--header must look like 'Name: value'".into())
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Auth::Headers { headers }
            } else {
                Auth::None
            };
            let new = NewSource {
                location: a.location,
                name: a.name,
                color: a.color,
                auth,
                interval_minutes: None,
                muted: a.no_reminders,
                lead_minutes: a.lead_minutes,
            };
            let source = api::add(ctx, new, a.add_anyway)
                .await
                .map_err(anyway_hint)?;
            let store = source
                .secret_store
                .map(|k| format!("; credentials {}", k.describe()))
                .unwrap_or_default();
            outln!(
                out,
                "added source {} \"{}\" ({}){store}",
                source.id,
                escape(&source.name),
                escape(&source.display)
            )?;
        }
        SourcesCommand::Remove { id_or_name } => {
            let source = api::remove(ctx, &id_or_name).await?;
            outln!(
                out,
                "removed source {} \"{}\"",
                source.id,
                escape(&source.name)
            )?;
        }
    }
    out.finish()
}
