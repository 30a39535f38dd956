"""network_of: the block an address belongs to, so one network's addresses are throttled as one."""

from __future__ import annotations

import ipaddress

# One customer's usual share: a home or office line gets a /64 of IPv6 (so its addresses are
# free to the holder) and NAT pools and cloud hosts hand out neighbours in an IPv4 /24.
IPV4_PREFIX = 24
IPV6_PREFIX = 64


def network_of(address: str) -> str:
    """`203.0.113.0/24` for 203.0.113.7, `2001:db8:1:2::/64` for 2001:db8:1:2::5; the address
    itself when it is not an IP address (a test client, a Unix socket)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
