"""Parts library: frozen specs of procedural bodies for the tasks, in nominal metres and kilograms.

Each part's ``scaled(s)`` is the spec at uniform scale ``s``, ``model()`` the assets
:class:`~colosseum_lite.assets.Model`, and its joint and link names are class constants or methods
on the spec, its derived dimensions properties: a task builds ``SPEC.scaled(s).model()`` and reads
sizes from ``SPEC.scaled(s)``, never back from the simulator.
"""

from colosseum_lite.parts.appliances import DialKnob, DispenserFridge, KnobOven, Tumbler
from colosseum_lite.parts.chess import BACK_RANK, FILES, KINDS, ChessBoard, ChessPiece
from colosseum_lite.parts.cups import NestingCup
from colosseum_lite.parts.dishwasher import Dishwasher, Plate
from colosseum_lite.parts.furniture import BarHandle, Drawer, DrawerCabinet, Knob, PrismaticSlot, SlottedRack
from colosseum_lite.parts.hanger import Hanger, RailStand
from colosseum_lite.parts.hockey import HockeyGoal
from colosseum_lite.parts.kitchen import Chicken, Grill, Steak
from colosseum_lite.parts.panels import HingedLidBox, HingedMount, HingedPanel, HingeFrame, Laptop, OpenBox
from colosseum_lite.parts.pegs import PegBase, SquareRing, SquareSpoke
from colosseum_lite.parts.rings import Hoop, Net, RingOfBoxes
from colosseum_lite.parts.rope import Rope
from colosseum_lite.parts.safe import MoneyStack, ShelvedSafe
from colosseum_lite.parts.spatula import Fence, Spatula
from colosseum_lite.parts.spec import Part
from colosseum_lite.parts.sponge import Dirt, Sponge
from colosseum_lite.parts.tools import CapsuleChain, ChainJoint, FlatPatch, Tool
from colosseum_lite.parts.wine import WineBottle, WineRack

__all__ = [
    "BarHandle", "CapsuleChain", "ChainJoint", "DialKnob", "Dishwasher", "DispenserFridge", "Drawer",
    "DrawerCabinet", "FlatPatch", "HingedLidBox", "HingedMount", "HingedPanel", "HingeFrame", "Hoop", "Knob",
    "KnobOven", "Laptop", "MoneyStack", "Net", "OpenBox", "Part", "Plate", "PrismaticSlot", "RingOfBoxes",
    "ShelvedSafe", "SlottedRack", "Tool", "Tumbler",
    "Chicken", "Grill", "Steak",
    "NestingCup",
    "WineBottle", "WineRack",
    "PegBase", "SquareRing", "SquareSpoke",
    "Rope",
    "HockeyGoal",
    "Dirt", "Sponge",
    "Hanger", "RailStand",
    "BACK_RANK", "FILES", "KINDS", "ChessBoard", "ChessPiece",
    "Fence", "Spatula",
]
PARTS: tuple[type[Part], ...] = (
    OpenBox, HingedPanel, HingedLidBox, Laptop, PrismaticSlot, Drawer, BarHandle, Knob, DrawerCabinet, SlottedRack,
    RingOfBoxes, Net, Hoop, Tool, FlatPatch, CapsuleChain, DialKnob, KnobOven, DispenserFridge, Tumbler,
    ShelvedSafe, MoneyStack, Dishwasher, Plate,
    Grill, Steak, Chicken,
    NestingCup,
    WineRack, WineBottle,
    SquareRing, PegBase, SquareSpoke,
    Rope,
    HockeyGoal,
    Sponge, Dirt,
    Hanger, RailStand,
    ChessBoard, ChessPiece,
    Spatula, Fence,
)
