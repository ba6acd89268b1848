"""The task registry: one module per task, one entry per module."""

from __future__ import annotations

from colosseum_lite.tasks.base import Task
from colosseum_lite.tasks.basketball_in_hoop import BasketballInHoop
from colosseum_lite.tasks.close_box import CloseBox
from colosseum_lite.tasks.close_laptop_lid import CloseLaptopLid
from colosseum_lite.tasks.empty_dishwasher import EmptyDishwasher
from colosseum_lite.tasks.get_ice_from_fridge import GetIceFromFridge
from colosseum_lite.tasks.hockey import Hockey
from colosseum_lite.tasks.insert_onto_square_peg import InsertOntoSquarePeg
from colosseum_lite.tasks.meat_on_grill import MeatOnGrill
from colosseum_lite.tasks.move_hanger import MoveHanger
from colosseum_lite.tasks.open_drawer import OpenDrawer
from colosseum_lite.tasks.place_wine_at_rack_location import PlaceWineAtRackLocation
from colosseum_lite.tasks.put_money_in_safe import PutMoneyInSafe
from colosseum_lite.tasks.reach_and_drag import ReachAndDrag
from colosseum_lite.tasks.scoop_with_spatula import ScoopWithSpatula
from colosseum_lite.tasks.setup_chess import SetupChess
from colosseum_lite.tasks.slide_block_to_target import SlideBlockToTarget
from colosseum_lite.tasks.stack_cups import StackCups
from colosseum_lite.tasks.straighten_rope import StraightenRope
from colosseum_lite.tasks.turn_oven_on import TurnOvenOn
from colosseum_lite.tasks.wipe_desk import WipeDesk

TASKS: dict[str, type[Task]] = {
    cls.name: cls
    for cls in (
        BasketballInHoop,
        CloseBox,
        CloseLaptopLid,
        EmptyDishwasher,
        GetIceFromFridge,
        Hockey,
        InsertOntoSquarePeg,
        MeatOnGrill,
        MoveHanger,
        OpenDrawer,
        PlaceWineAtRackLocation,
        PutMoneyInSafe,
        ReachAndDrag,
        ScoopWithSpatula,
        SetupChess,
        SlideBlockToTarget,
        StackCups,
        StraightenRope,
        TurnOvenOn,
        WipeDesk,
    )
}


def env_id(task_name: str) -> str:
    """The Gymnasium id of a task: ``ColosseumLite/<CamelName>-v0``."""
    camel = "".join(part.capitalize() for part in task_name.split("_"))
    return f"ColosseumLite/{camel}-v0"
