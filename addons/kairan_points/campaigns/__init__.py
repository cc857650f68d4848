"""Campaigns and lotteries: points granted to applicants chosen by a committed-seed draw.

- Tables ``points_campaigns`` and ``points_campaign_applications``
  (``kairan_points.campaigns.models``), services in ``kairan_points.campaigns.services``.
- CLI: ``kairan points draw CAMPAIGN --seed ...`` (``--verify``, ``--promote``).
"""


def includeme(config):
    config.add_translation_dirs("kairan_points:campaigns/locale")
