
#!/usr/bin/env python
# coding:utf-8

"""
Part of GDL License.
Copyright (C) 2020 Global Digital Library

See LICENSE
"""

# This file is generated from the script generate_py_license.py in https://github.com/GlobalDigitalLibraryio/license/tree/master/generator

license_dict = {
    "0bsd": {
        "description": "BSD Zero Clause License", 
        "name": "0BSD", 
        "url": "http://spdx.org/licenses/0BSD.json"
    }, 
    "aal": {
        "description": "Attribution Assurance License", 
        "name": "AAL", 
        "url": "http://spdx.org/licenses/AAL.json"
    }, 
    "abstyles": {
        "description": "Abstyles License", 
        "name": "Abstyles", 
        "url": "http://spdx.org/licenses/Abstyles.json"
    }, 
    "adobe-2006": {
        "description": "Adobe Systems Incorporated Source Code License Agreement", 
        "name": "Adobe-2006", 
        "url": "http://spdx.org/licenses/Adobe-2006.json"
    }, 
    "adobe-glyph": {
        "description": "Adobe Glyph List License", 
        "name": "Adobe-Glyph", 
        "url": "http://spdx.org/licenses/Adobe-Glyph.json"
    }, 
    "adsl": {
        "description": "Amazon Digital Services License", 
        "name": "ADSL", 
        "url": "http://spdx.org/licenses/ADSL.json"
    }, 
    "afl-1.1": {
        "description": "Academic Free License v1.1", 
        "name": "AFL-1.1", 
        "url": "http://spdx.org/licenses/AFL-1.1.json"
    }, 
}
