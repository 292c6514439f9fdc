//! From the configured load model to the one the scheduler runs: a closed run without stages
//! takes the first scenario's own load shape, if one has it, and with the live dashboard a
//! fixed user count becomes one the page can change.

use std::sync::Arc;

use anyhow::anyhow;
use tokio::sync::watch;

use super::{ClosedShape, Model, ScenarioSlot};
use crate::error::Failure;
use crate::plan::{LoadModel, Shape, Step};
use crate::vu::{Identity, RunContext, Vu};

/// The id of the instance a scenario's own load shape is asked through.
const SHAPE_VU: u32 = u32::MAX - 1;

/// The scheduler's model for `load`, with at most `max_users` users under a scenario's own
/// shape; `adjustable` turns a fixed user count into one the returned sender can change.
pub async fn model_for(
    load: &LoadModel,
    slots: &[ScenarioSlot],
    ctx: &Arc<RunContext>,
    max_users: u32,
    adjustable: bool,
) -> Result<(Model, Option<watch::Sender<Step>>), Failure> {
    let (shape, from_flags) = match load {
        LoadModel::Open(open) => return Ok((Model::Open(open.clone()), None)),
        LoadModel::Closed { shape, from_flags } => (shape, *from_flags),
    };
    let shaped = slots
        .iter()
        .position(|slot| slot.user.custom_shape)
        .filter(|_| !from_flags);
    if let Some(index) = shaped {
        let vu = shape_instance(&slots[index], index, ctx).await?;
        tracing::info!(
            "using the load shape of {} (at most {max_users} users)",
            slots[index].user.name
        );
        let model = Model::Closed(ClosedShape::Guest {
            vu: Box::new(vu),
            max_users,
        });
        return Ok((model, None));
    }
    match shape {
        Shape::Fixed(step) if adjustable => {
            let (users, receiver) = watch::channel(*step);
            Ok((
                Model::Closed(ClosedShape::Controlled(receiver)),
                Some(users),
            ))
        }
        shape => Ok((Model::Closed(ClosedShape::Host(shape.clone())), None)),
    }
}

/// The instance a scenario's own shape is asked through, once a second.
async fn shape_instance(
    slot: &ScenarioSlot,
    index: usize,
    ctx: &Arc<RunContext>,
) -> Result<Vu, Failure> {
    let scenario = u16::try_from(index).unwrap_or(u16::MAX);
    let identity = Identity::new(SHAPE_VU, scenario, ctx.options.seed);
    Vu::instantiate(&slot.loaded, Arc::clone(ctx), identity)
        .await
        .map_err(|err| {
            Failure::scenario(anyhow!(
                "{}: the load shape cannot be instantiated: {}",
                slot.loaded.path.display(),
                anyhow::Error::from(err)
            ))
        })
}
