"""Charts of the coordinators' pages (SPEC §7: "fill rate by specialty and by subdivision").

Each chart is a horizontal bar chart (rx.recharts) followed by the same figures as a table, which is the
accessible alternative: the chart is marked as an image described by its caption, and the table lists
every bar's exact values. Components take Vars (``fill_rates.FillRate`` lists) and never a state.
"""

from __future__ import annotations

import reflex as rx

BAR_COLOR = "#1d3557"
ROW_HEIGHT = 30


def chart_height(count: int) -> int:
    """Pixels for ``count`` horizontal bars, with room for the axis."""
    return max(1, count) * ROW_HEIGHT + 60


def _figures_table(rows, *, caption: str, first_header: str, element_id: str) -> rx.Component:
    return rx.table.root(
        rx.el.caption(caption, style={"textAlign": "left", "fontWeight": "bold", "padding": "0.3em 0"}),
        rx.table.header(rx.table.row(
            rx.table.column_header_cell(first_header, scope="col"),
            rx.table.column_header_cell("Postes", scope="col"),
            rx.table.column_header_cell("Places ouvertes", scope="col"),
            rx.table.column_header_cell("Places affectées", scope="col"),
            rx.table.column_header_cell("Taux de remplissage", scope="col"),
        )),
        rx.table.body(rx.foreach(rows, lambda row: rx.table.row(
            rx.table.row_header_cell(row.label),
            rx.table.cell(row.posts.to(str)),
            rx.table.cell(row.opened.to(str)),
            rx.table.cell(row.assigned.to(str)),
            rx.table.cell(row.rate.to(str), " %"),
        ))),
        size="1",
        variant="surface",
        id=element_id,
    )


def fill_rate_chart(rows, height, *, title: str, first_header: str, element_id: str) -> rx.Component:
    """Fill rate (places affectées / places ouvertes, in %) per ``label``, as bars, then as a table."""
    return rx.card(
        rx.vstack(
            rx.heading(title, as_="h3", size="3"),
            rx.cond(
                rows.length() > 0,
                rx.vstack(
                    rx.box(
                        rx.recharts.bar_chart(
                            rx.recharts.cartesian_grid(stroke_dasharray="3 3", horizontal=False),
                            rx.recharts.x_axis(type_="number", domain=[0, 100], unit=" %", allow_decimals=False),
                            rx.recharts.y_axis(data_key="label", type_="category", width=170, interval=0),
                            rx.recharts.graphing_tooltip(),
                            rx.recharts.bar(data_key="rate", name="Taux de remplissage (%)", fill=BAR_COLOR,
                                            unit=" %", is_animation_active=False),
                            # Recharts types its data as plain objects: the typed lines serialise to exactly that.
                            data=rows.to(list[dict]),
                            layout="vertical",
                            width="100%",
                            height=height,
                            margin={"left": 10, "right": 30, "top": 5, "bottom": 5},
                        ),
                        width="100%",
                        role="img",
                        aria_label=f"{title} : diagramme en barres, valeurs détaillées dans le tableau ci-dessous.",
                    ),
                    _figures_table(rows, caption=f"{title} (tableau)", first_header=first_header,
                                   element_id=f"{element_id}-table"),
                    width="100%",
                    spacing="3",
                ),
                rx.text("Aucun poste dans ce périmètre pour la campagne en cours."),
            ),
            width="100%",
            spacing="2",
        ),
        width="100%",
        id=element_id,
    )
