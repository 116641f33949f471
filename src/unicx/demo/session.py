"""One visit of one person on one device: the calls a real shop site or app would send.

The funnel rates are typical of Vietnamese e-commerce: about half the visits bounce, and
landing → add to cart → checkout → order leaves 3-5 % of visits converting.
"""

from __future__ import annotations

from typing import Any

from unicx.demo import catalog as c
from unicx.demo.envelope import Emitter, item, product_path, slug
from unicx.demo.people import fold

BOUNCE = {"web": 0.55, "ios": 0.45, "android": 0.45}
P_ADD, P_CART_VIEW, P_CHECKOUT, P_ORDER = 0.28, 0.75, 0.55, 0.58
P_LOGIN_OTHER_DEVICE = 0.7
# A shopping visit (a regular coming back to buy) skips the funnel's early exits.
P_SHOP_CHECKOUT, P_SHOP_ORDER = 0.9, 0.85
FREE_SHIPPING_FROM, SHIPPING_FEE = 499_000, 30_000
COUPON, COUPON_VALUE, COUPON_FROM = "GIAM50K", 50_000, 300_000
_BY_CATEGORY = {cat: [p for p in c.PRODUCTS if p.category == cat] for cat in c.CATEGORIES}


class Visit(Emitter):
    """A session: arrive, maybe consent and log in, then most leave; a few browse and buy."""

    viewed: list[c.Product]
    cart: list[tuple[c.Product, int]]
    cart_id: str | None

    def run(self, *, first_visit: bool, log_in: bool, shopping: bool = False) -> None:
        """One visit; ``shopping``: the person came to buy (no bounce, a cart, most order)."""
        self.viewed, self.cart, self.cart_id = [], [], None
        self._arrive(first_visit)
        if first_visit and self.rng.random() < 0.6:
            self._consent()
        if log_in and self.device.anonymous_id not in self.state.logged_in:
            self._log_in()
        if not shopping and self.rng.random() < BOUNCE[self.device.platform]:
            return
        self._browse(short=shopping)
        if not shopping and self.rng.random() >= P_ADD:
            return
        self._add_to_cart()
        if self.rng.random() < P_CART_VIEW:
            self.show("Cart", "/gio-hang", "Giỏ hàng")
            self.track("Cart Viewed", {"cart_id": self.cart_id, "products": self._items()})
        if self.rng.random() < (P_SHOP_CHECKOUT if shopping else P_CHECKOUT):
            self._checkout(P_SHOP_ORDER if shopping else P_ORDER)

    def cart_visit(self, *, buy: bool) -> None:
        """The live demo's visit: log in, look, put something in the cart, then buy or leave
        (a journey nudges those who leave)."""
        self.viewed, self.cart, self.cart_id = [], [], None
        self._arrive(first_visit=False)
        if self.device.anonymous_id not in self.state.logged_in:
            self._log_in()
        self._browse(short=True)
        self._add_to_cart()
        self.show("Cart", "/gio-hang", "Giỏ hàng")
        self.track("Cart Viewed", {"cart_id": self.cart_id, "products": self._items()})
        if buy:
            self._checkout(1.0)

    def _arrive(self, first_visit: bool) -> None:
        if self.device.app is None:
            self._land_on_web()
            return
        version = {"version": c.APP_INFO["version"], "build": c.APP_INFO["build"]}
        if first_visit:
            self.track("Application Installed", version)
        self.track("Application Opened", {"from_background": False, **version})
        self.show("Home", "/", "Trang chủ")

    def _land_on_web(self) -> None:
        _, referrer, utm = self.rng.choices(c.TRAFFIC, weights=[t[0] for t in c.TRAFFIC])[0]
        search = ""
        if utm is not None:
            source, medium, name = utm
            self.campaign = {"source": source, "medium": medium, "name": name}
            search = f"?utm_source={source}&utm_medium={medium}&utm_campaign={name}"
        landing = self.rng.random()
        if landing < 0.4:
            self._view_product(self._choose(), referrer=referrer, search=search)
        elif landing < 0.6 and utm is not None:
            self.show(
                "Promotion", f"/khuyen-mai/{utm[2]}", "Khuyến mãi", referrer=referrer, search=search
            )
        else:
            self.show("Home", "/", "Mua sắm online giá tốt", referrer=referrer, search=search)

    def _consent(self) -> None:
        prefs = {
            "necessary": True,
            "analytics": self.rng.random() < 0.85,
            "marketing": self.rng.random() < 0.55,
            "advertising": self.rng.random() < 0.45,
            # The demo workspace is opt-in (cli/serve.py): those who tick this box get
            # personalized recommendations, the others trending items with the reason.
            "personalization": self.rng.random() < 0.6,
        }
        source = "cookie_banner" if self.device.app is None else "app_onboarding"
        self.track("Consent Updated", {"categoryPreferences": prefs, "source": source})
        self.state.consent[self.device.anonymous_id] = prefs

    def _log_in(self) -> None:
        self.show("Login", "/dang-nhap", "Đăng nhập")
        self.state.logged_in.add(self.device.anonymous_id)
        if self.device.app is not None:  # mobile SDKs link the install id to the account
            self.emit("alias", previousId=self.device.anonymous_id)
        self.emit("identify", traits=self._traits())
        method = self.rng.choice(("email", "phone", "google", "facebook", "zalo"))
        self.track("Signed In" if self.state.signed_up else "Signed Up", {"method": method})
        self.state.signed_up = True
        if self.person.company is not None and not self.state.grouped:
            self._group(self.person.company)

    def _group(self, company: tuple[str, str, str, str, int]) -> None:
        name, domain, tax_code, industry, employees = company
        traits = {
            "name": name,
            "industry": industry,
            "employees": employees,
            "website": f"https://{domain}",
            "taxCode": tax_code,
            "plan": "B2B",
            "address": {"city": self.person.city, "country": self.person.country},
        }
        self.emit("group", groupId=f"mst-{tax_code}", traits=traits)
        self.state.grouped = True

    def _traits(self) -> dict[str, Any]:
        """Profile fields as the person types them this time (diacritics, phone prefix, case)."""
        p = self.person
        spell = fold if p.plain_name or self.rng.random() < 0.15 else str
        email = p.email.capitalize() if self.rng.random() < 0.1 else p.email  # phone keyboards
        return {
            "name": spell(p.full_name),
            "firstName": spell(p.first_name),
            "lastName": spell(p.last_name),
            "email": email,
            "phone": self._phone(),
            "address": {"city": p.city, "country": p.country},
        }

    def _phone(self) -> str:
        phone = self.person.phone
        if not self.person.vietnamese:
            return phone
        style = self.rng.random()
        if style < 0.45:
            return phone
        if style < 0.85:
            return "+84" + phone[1:]
        return f"{phone[:4]} {phone[4:7]} {phone[7:]}"

    def _choose(self) -> c.Product:
        roll, favorite = self.rng.random(), self.person.favorite
        if roll < 0.6:
            return self.rng.choice(_BY_CATEGORY[favorite])
        if roll < 0.8:  # what goes with it: coffee with tea, sake with whisky
            return self.rng.choice(_BY_CATEGORY[c.AFFINITY[favorite]])
        return self.rng.choice(c.PRODUCTS)

    def _view_product(self, product: c.Product, **page: Any) -> None:
        path = product_path(product)
        self.show("Product", path, product.name, extra={"product_id": product.product_id}, **page)
        self.viewed.append(product)
        props = {**self._item(product, 1), "currency": "VND", "url": c.SHOP_URL + path}
        del props["quantity"]
        self.track("Product Viewed", props)

    def _item(self, product: c.Product, quantity: int) -> dict[str, Any]:
        return item(product, quantity, english=self.person.english)

    def _browse(self, *, short: bool = False) -> None:
        if not short and self.rng.random() < 0.15:
            query = self.rng.choice(c.SEARCHES)
            self.show("Search", "/tim-kiem", "Tìm kiếm", search=f"?q={query.replace(' ', '+')}")
            self.track("Products Searched", {"query": query})
        for _ in range(1 if short else 1 + min(4, int(self.rng.expovariate(0.8)))):
            if self.rng.random() < 0.25:
                category = self.rng.choice(c.CATEGORIES)
                self.show("Category", f"/danh-muc/{slug(category)}", category)
            self._view_product(self._choose())

    def _add_to_cart(self) -> None:
        self.counters.carts += 1
        self.cart_id = f"cart-{self.counters.carts:06d}"
        picks = [self.viewed[-1]]
        if len(self.viewed) > 1 and self.rng.random() < 0.3:
            picks.append(self.rng.choice(self.viewed))
        for product in dict.fromkeys(picks):  # the same product twice is one cart line
            quantity = self._quantity()
            self.cart.append((product, quantity))
            self.track(
                "Product Added",
                {"cart_id": self.cart_id, "currency": "VND", **self._item(product, quantity)},
            )

    def _quantity(self) -> int:
        if self.person.company is not None:  # B2B buyers stock an office or a shop
            return self.rng.randint(2, 10)
        return self.rng.choices((1, 2, 3), weights=(80, 15, 5))[0]

    def _items(self) -> list[dict[str, Any]]:
        return [self._item(product, quantity) for product, quantity in self.cart]

    def _checkout(self, p_order: float) -> None:
        if self.device.anonymous_id not in self.state.logged_in:
            if self.person.registered:
                self._log_in()
            else:  # guest checkout: the form's name, email and phone, without a userId
                self.emit("identify", traits=self._traits())
        self.counters.orders += 1
        order = {
            "order_id": f"DH{2_400_000 + self.counters.orders}",
            "currency": "VND",
            **self._totals(),
            "products": self._items(),
        }
        self.show("Checkout", "/thanh-toan", "Thanh toán")
        self.track("Checkout Started", {**order, "value": order["total"]})
        if self.rng.random() < p_order:
            self._complete(order)

    def _totals(self) -> dict[str, Any]:
        # Spec v2: revenue is the items' value; subtotal after discount; total adds shipping.
        revenue = sum(product.price * quantity for product, quantity in self.cart)
        shipping = 0 if revenue >= FREE_SHIPPING_FROM else SHIPPING_FEE
        coupon = revenue >= COUPON_FROM and self.rng.random() < 0.2
        discount = COUPON_VALUE if coupon else 0
        totals: dict[str, Any] = {
            "revenue": revenue,
            "subtotal": revenue - discount,
            "shipping": shipping,
            "discount": discount,
            "total": revenue - discount + shipping,
        }
        if coupon:
            totals["coupon"] = COUPON
        return totals

    def _complete(self, order: dict[str, Any]) -> None:
        self.show("Order Confirmation", "/dat-hang-thanh-cong", "Đặt hàng thành công")
        methods, weights = zip(*c.PAYMENT_METHODS, strict=True)
        payment = self.rng.choices(methods, weights=weights)[0]
        channel = "Web" if self.device.app is None else "App"
        self.track(
            "Order Completed",
            {
                **order,
                "checkout_id": self.cart_id,
                "affiliation": f"{c.SHOP_NAME} {channel}",
                "payment_method": payment,
            },
        )
