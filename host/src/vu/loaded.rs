//! A scenario ready for its users: the compiled component linked against the host's imports
//! (WASI and the `wasmload:scenario` interfaces) and pre-instantiated once, and its user
//! description, read and checked before the run starts.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::anyhow;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::Engine;

use super::{Identity, RunContext, Vu, VuState};
use crate::bindings::{v1, v2, TaskOrder, UserInfo, WaitTime, CONTRACT, VERSIONS};
use crate::engine::{Compiled, LibraryCode, Link, Needs};
use crate::error::Failure;

/// The id of the instance that describes a scenario before any user runs.
const DESCRIBING_VU: u32 = u32::MAX;

/// A scenario's pre-instantiation, of the contract version it was built against.
pub enum ScenarioPre {
    /// Built against `wasmload:scenario@0.1.0`.
    V1(v1::ScenarioPre<VuState>),
    /// Built against `wasmload:scenario@0.2.0`.
    V2(v2::ScenarioPre<VuState>),
}

impl ScenarioPre {
    /// The contract version, as in `wasmload:scenario@0.2.0`.
    pub fn version(&self) -> &'static str {
        match self {
            Self::V1(_) => VERSIONS[0],
            Self::V2(_) => VERSIONS[1],
        }
    }
}

/// A compiled, linked and checked scenario, ready to instantiate once per user.
pub struct LoadedScenario {
    /// Where it came from.
    pub path: PathBuf,
    /// SHA-256 of the file, in hex.
    pub sha256: String,
    /// The engine it was compiled with.
    pub engine: Engine,
    /// Its pre-instantiation, shared by all users.
    pub pre: ScenarioPre,
    /// The compiled component, for listing its imports and exports.
    pub component: Component,
    /// Which of its imports libraries provide.
    links: Vec<Link>,
    /// What one user's instance takes from the pool.
    pub needs: Needs,
    /// The functions of each library it links, to tell a trap in a library.
    pub library_code: Arc<[LibraryCode]>,
}

impl LoadedScenario {
    /// The scenario's imports that libraries provide, and which.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// Links a compiled component against the host's imports, or explains in one line why
    /// it is not a scenario this host can run.
    pub fn link(compiled: Compiled) -> Result<Self, Failure> {
        let Compiled {
            path,
            sha256,
            engine,
            component,
            links,
            needs,
            library_code,
        } = compiled;
        let mut linker = Linker::<VuState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
        v1::Scenario::add_to_linker::<VuState, HasSelf<VuState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)?;
        v2::Scenario::add_to_linker::<VuState, HasSelf<VuState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)?;
        let instance_pre = linker.instantiate_pre(&component).map_err(|err| {
            Failure::bad_input(anyhow!(
                "{} needs an import wasmload does not provide (it runs {CONTRACT} {}): {:#}",
                path.display(),
                VERSIONS.join(" and "),
                anyhow::Error::from(err)
            ))
        })?;
        let pre = match v2::ScenarioPre::new(instance_pre.clone()) {
            Ok(pre) => ScenarioPre::V2(pre),
            Err(_) => ScenarioPre::V1(v1::ScenarioPre::new(instance_pre).map_err(|_| {
                let exports: Vec<String> = component
                    .component_type()
                    .exports(&engine)
                    .map(|(name, _)| name.to_string())
                    .collect();
                Failure::bad_input(anyhow!(
                    "{} is not a {CONTRACT} scenario: it must export the `user` interface of \
                     {CONTRACT}@{}, but exports [{}]",
                    path.display(),
                    VERSIONS.join(" or @"),
                    exports.join(", ")
                ))
            })?),
        };
        Ok(Self {
            path,
            sha256,
            engine,
            pre,
            component,
            links,
            needs,
            library_code: library_code.into(),
        })
    }

    /// Instantiates the scenario once to read its user description, and checks it.
    pub async fn describe(
        &self,
        ctx: &Arc<RunContext>,
        scenario: u16,
    ) -> Result<UserInfo, Failure> {
        let path = self.path.display();
        let identity = Identity::new(DESCRIBING_VU, scenario, ctx.options.seed);
        let mut vu = Vu::instantiate(self, Arc::clone(ctx), identity)
            .await
            .map_err(|err| {
                Failure::scenario(anyhow!(
                    "{path} cannot be instantiated: {}",
                    anyhow::Error::from(err)
                ))
            })?;
        let user = match vu.describe().await {
            Ok(user) => user,
            Err(trap) => {
                let reason = vu.explain_trap(&trap);
                return Err(Failure::scenario(anyhow!(
                    "{path}: describe trapped: {reason}"
                )));
            }
        };
        validate_user(&user).map_err(|err| Failure::scenario(anyhow!("{path}: {err}")))?;
        Ok(user)
    }
}

/// Checks what a scenario says about its user, so the scheduler can rely on it.
fn validate_user(user: &UserInfo) -> anyhow::Result<()> {
    if user.tasks.is_empty() {
        anyhow::bail!("user `{}` has no tasks", user.name);
    }
    let weighted = user.order == TaskOrder::Weighted;
    if weighted
        && user
            .tasks
            .iter()
            .map(|task| u64::from(task.weight))
            .sum::<u64>()
            == 0
    {
        anyhow::bail!("user `{}` has no task with a weight above 0", user.name);
    }
    match user.wait {
        WaitTime::Between((min, max)) if min > max => {
            anyhow::bail!(
                "user `{}` waits between {min} ms and {max} ms: min > max",
                user.name
            )
        }
        WaitTime::ConstantThroughput(rate) if !(rate.is_finite() && rate > 0.0) => {
            anyhow::bail!("user `{}` has a constant throughput of {rate}/s", user.name)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::user;

    #[test]
    fn users_need_a_weighted_task_and_a_sane_wait() {
        assert!(validate_user(&user(&[1, 2], WaitTime::None)).is_ok());
        assert!(validate_user(&user(&[], WaitTime::None)).is_err());
        assert!(validate_user(&user(&[0, 0], WaitTime::None)).is_err());
        assert!(validate_user(&user(&[1], WaitTime::Between((3000, 1000)))).is_err());
        assert!(validate_user(&user(&[1], WaitTime::ConstantThroughput(0.0))).is_err());
        assert!(validate_user(&user(&[1], WaitTime::ConstantThroughput(2.0))).is_ok());
    }
}
