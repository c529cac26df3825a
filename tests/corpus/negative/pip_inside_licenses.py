"""
https://spdx.github.io/spdx-spec/v2.3/SPDX-license-list/
"""

LICENSES = {
    'Apache-2.0': 'Apache License 2.0',
    'GPL-3.0-or-later': 'GNU General Public License v3.0 or later',
    'LGPL-3.0-or-later': 'GNU Lesser General Public License v3.0 or later',
    'MIT': 'MIT license',
    'MulanPSL-2.0': 'Mulan Permissive Software License, Version 2',
}
