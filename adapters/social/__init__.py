"""The social service centre adapter: native JSON events pushed to the centre's webhook."""

from adapters.base import Adapter
from adapters.social.transport import SocialTransport

__all__ = ["ADAPTER"]

ADAPTER = Adapter(code="social", delivery_mode="push", make_transport=SocialTransport.connect)
