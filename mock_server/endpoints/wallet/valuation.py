"""What a margin wallet is worth at the market's prices now, and so what may be borrowed into it
and what may leave it (docs/wallets.md, "Borrowing and repaying")."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

from mock_server.endpoints.declaration import Context
from mock_server.state.loans import CROSS_LEVERAGE, INVENTORY_USD, ISOLATED_LEVERAGE
from mock_server.state.wallets import EIGHT, ZERO, Balance, isolated_symbol

TRANSFER_OUT_LEVEL = Decimal(2)  # F59: out of a wallet that owes, its margin level must stay at least this


class Worth(NamedTuple):
    assets: Decimal  # in USDT
    liabilities: Decimal


def dollars(ctx: Context, asset: str) -> Decimal:
    assert ctx.market is not None
    return Decimal(repr(ctx.market.dollars(asset, ctx.now_ms)))


def holdings(ctx: Context, wallet: str) -> dict[str, Balance]:
    assert ctx.wallets is not None and ctx.account is not None
    return ctx.wallets.of(ctx.account.api_key).get(wallet, {})


def worth(ctx: Context, wallet: str) -> Worth:
    assets = liabilities = ZERO
    for name, b in holdings(ctx, wallet).items():
        price = dollars(ctx, name)
        assets += (b.free + b.locked) * price
        liabilities += (b.borrowed + b.interest) * price
    return Worth(assets, liabilities)


def max_transferable(ctx: Context, wallet: str, asset: str) -> Decimal:
    """The free balance; from a wallet that owes, no more than keeps its margin level at 2."""
    free = holdings(ctx, wallet).get(asset, Balance()).free
    w = worth(ctx, wallet)
    if not w.liabilities:
        return free
    spare = (w.assets - TRANSFER_OUT_LEVEL * w.liabilities) / dollars(ctx, asset)
    return max(ZERO, min(free, spare)).quantize(EIGHT, rounding=ROUND_DOWN)


def max_borrowable(ctx: Context, wallet: str, asset: str) -> Decimal:
    """What the wallet may still borrow of `asset`: debts up to (leverage - 1) times its net
    worth (cross margin 3x, an isolated pair 5x), and no more than the mock has left to lend."""
    w = worth(ctx, wallet)
    leverage = ISOLATED_LEVERAGE if isolated_symbol(wallet) else CROSS_LEVERAGE
    room = (w.assets - w.liabilities) * (leverage - 1) - w.liabilities
    own = max(ZERO, room / dollars(ctx, asset))
    return min(own, inventory(ctx, asset)).quantize(EIGHT, rounding=ROUND_DOWN)


def inventory(ctx: Context, asset: str, lent: Decimal | None = None) -> Decimal:
    """What the mock has left to lend of `asset`: INVENTORY_USD's worth less what is lent."""
    assert ctx.loans is not None
    out = ctx.loans.lent.get(asset, ZERO) if lent is None else lent
    return max(ZERO, INVENTORY_USD / dollars(ctx, asset) - out).quantize(EIGHT, rounding=ROUND_DOWN)
