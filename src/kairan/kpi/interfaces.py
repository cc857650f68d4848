"""The KPI extension point: numbers an operator follows month by month."""

from zope.interface import Attribute, Interface


class IKpiProvider(Interface):
    """A monthly key performance indicator, registered with ``config.add_kpi(provider)``.

    ``/manage/kpi`` draws every registered KPI the user may see as a chart
    with its numbers in a table, and offers each as CSV.
    """

    name = Attribute(
        "Unique name: lower-case letters, digits, '_', '.', '-' (e.g. 'rides.completed'). "
        "'all' is reserved."
    )
    title = Attribute("A translatable title, e.g. _('Monthly active users').")
    unit = Attribute("A translatable unit shown with the numbers, e.g. _('people'); may be ''.")
    permission = Attribute("Optional: the permission needed to see it (default VIEW_KPI).")

    def monthly(request, start_month, end_month):
        """Return ``{'YYYY-MM': number}`` for the months from ``start_month`` to
        ``end_month`` inclusive (Asia/Tokyo months, strings 'YYYY-MM').

        Months without data may be left out; they are shown as 0. Query
        through ``request.dbsession``; never write.
        """
